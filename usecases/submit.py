"""Record an act signed elsewhere: the prepared bytes and an `ssh-keygen -Y sign` signature.

The same paths as the one-step commands, with the signature handed in; deployments take
the act and its signature as parameters and run this (flows/deploy/deployments.py).
Override, determine, request-info, extend, approve, reject and add-order carry everything
in the act, so `grantreview submit` records them. An import, a response and a started review also
need their file or run: their own command takes the signed act (`--act FILE --signature
FILE`, after `--prepare`; every acting command has the three), and the `review`
deployment takes it as parameters.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from schemas.base.errors import InputError
from schemas.log.final_record import final_record
from schemas.people.acts import ActType, SignedAct
from usecases.add_order import submit_add_order
from usecases.approvals import approve, reject
from usecases.override import check_override, record_override
from usecases.proposals import ActOutcome
from usecases.stages import check_act, determine, extend_deadline, request_information

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
    if act.type in _STAGED and len(act.subjects) == 1:
        return _staged(runtime, signed)
    if act.type is ActType.ADD_ORDER and not act.subjects:
        done = submit_add_order(runtime, signed)
        written = done.act_id is not None
        status = "recorded" if written else "already on record"
        return ActOutcome(act_id=signed.act_id, status=status, written=written)
    raise InputError(
        f"{act.type.value} acts are submitted with their own command (--act/--signature)"
    )


_STAGED = frozenset({ActType.DETERMINE, ActType.REQUEST_INFO, ActType.EXTEND})


def _day(params: dict[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(str(params.get(name)))
    except ValueError:
        raise InputError(f"the act's {name} is not a date (YYYY-MM-DD)") from None


def _staged(runtime: Runtime, signed: SignedAct) -> ActOutcome:
    """Determine, request information or extend, as the act says (#16's acts)."""
    act, params = signed.act, signed.act.params
    reason = str(params.get("reason"))
    wanted = str(params.get("decision")) if act.type is ActType.DETERMINE else None
    decision = check_act(reason, act.actor, wanted)
    where = (runtime, act.program, act.subjects[0])
    if act.type is ActType.DETERMINE and decision is not None:
        result = determine(
            *where, decision=decision, reason=reason, actor=act.actor, presigned=signed
        )
    elif act.type is ActType.REQUEST_INFO:
        questions = params.get("questions")
        if not isinstance(questions, list):
            raise InputError("the act's questions are not a list")
        result = request_information(
            *where,
            questions=tuple(str(question) for question in questions),
            due=_day(params, "due"),
            reason=reason,
            actor=act.actor,
            presigned=signed,
        )
    else:
        until = _day(params, "until")
        result = extend_deadline(
            *where, until=until, reason=reason, actor=act.actor, presigned=signed
        )
    if result.proposal is not None:
        return result.proposal
    final = final_record(result.state) if result.written else None
    return ActOutcome(
        act_id=signed.act_id,
        status="recorded",
        written=result.written,
        final=final if act.type is ActType.DETERMINE else None,
        jurisdiction=act.subjects[0],
    )
