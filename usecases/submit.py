"""Record an act signed elsewhere: the prepared bytes and an `ssh-keygen -Y sign` signature.

The same paths as the one-step commands, with the signature handed in; deployments take
the act and its signature as parameters and run this (flows/deploy/deployments.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemas.acts import ActType, SignedAct
from schemas.errors import InputError
from usecases.approvals import ActOutcome, approve, reject
from usecases.override import check_override, record_override

if TYPE_CHECKING:
    from infra.runtime import Runtime

__all__ = ["submit_act"]


def submit_act(runtime: Runtime, signed: SignedAct) -> ActOutcome:
    """Check the signed act against the people file and record it as its command would."""
    act = signed.act
    params = act.params
    if act.type is ActType.OVERRIDE and len(act.subjects) == 1:
        reason = str(params.get("reason"))
        return record_override(
            runtime,
            act.program,
            act.subjects[0],
            decision=check_override(str(params.get("decision")), reason, act.actor),
            reason=reason,
            actor=act.actor,
            presigned=signed,
        )
    if act.type is ActType.APPROVE:
        return approve(runtime, act.program, str(params.get("act_id")), act.actor, signed)
    if act.type is ActType.REJECT:
        return reject(
            runtime,
            act.program,
            str(params.get("act_id")),
            reason=str(params.get("reason")),
            actor=act.actor,
            presigned=signed,
        )
    raise InputError(f"{act.type.value} acts cannot be submitted pre-signed yet")
