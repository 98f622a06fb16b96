"""The reject flow: close a proposed act without effect, with a reason."""

from __future__ import annotations

from flows._flow import grant_flow
from flows._refusal import refused
from flows.run_names import act_run_namer
from infra.runtime import get_runtime
from schemas.base.errors import InputError
from tasks.acts import parse_signed_act
from usecases.approvals import reject as reject_act
from usecases.proposals import ActOutcome

__all__ = ["reject"]


@grant_flow("reject", run_name=act_run_namer("reject"))
def reject(  # noqa: PLR0917 - Prefect passes parameters by name; the form keeps this order
    program: str,
    act_id: str,
    reason: str,
    actor: str,
    act: str | None = None,
    signature: str | None = None,
    jurisdiction: str | None = None,
) -> ActOutcome:
    """Close a proposed act without effect (the same use case as `grantreview reject`).

    Args:
        program: The grant program, e.g. psp-2017.
        act_id: The proposed act's id.
        reason: Why, in plain language.
        actor: Your id in the people file.
        act: Your rejection prepared elsewhere (`--prepare`), if you sign it yourself.
        signature: Your SSH signature of it (ssh-keygen -Y sign -n grantreview).
        jurisdiction: The act's jurisdiction, for the run's name (refused if it is not).
    """
    try:
        return reject_act(
            get_runtime(),
            program,
            act_id,
            reason=reason,
            actor=actor,
            presigned=parse_signed_act(act, signature),
            jurisdiction=jurisdiction,
        )
    except InputError as error:  # not pending, empty reason, a bad act: one line
        return refused(error)  # type: ignore[no-any-return] # Prefect's Failed state ends it
