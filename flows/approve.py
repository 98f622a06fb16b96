"""The approve flow: a second person approves a proposed act; with enough approvals it applies."""

from __future__ import annotations

from flows._flow import grant_flow
from flows._refusal import refused
from flows.run_names import act_run_namer
from infra.runtime import get_runtime
from schemas.base.errors import InputError
from tasks.acts import parse_signed_act
from tasks.decision_events import emit_final_event
from usecases.approvals import approve as approve_act
from usecases.proposals import ActOutcome

__all__ = ["approve"]


@grant_flow("approve", run_name=act_run_namer("approve"))
def approve(  # noqa: PLR0917 - Prefect passes parameters by name; the form keeps this order
    program: str,
    act_id: str,
    actor: str,
    act: str | None = None,
    signature: str | None = None,
    jurisdiction: str | None = None,
) -> ActOutcome:
    """Approve an act another person proposed; with enough approvals it takes effect.

    The same use case as `grantreview approve`. An approved determination makes the review
    final and emits `grantreview.decision.final`.

    Args:
        program: The grant program, e.g. psp-2017.
        act_id: The proposed act's id.
        actor: Your id in the people file.
        act: Your approval prepared elsewhere (`--prepare`), if you sign it yourself.
        signature: Your SSH signature of it (ssh-keygen -Y sign -n grantreview).
        jurisdiction: The act's jurisdiction, for the run's name (refused if it is not).
    """
    try:
        outcome = approve_act(
            get_runtime(),
            program,
            act_id,
            actor,
            parse_signed_act(act, signature),
            jurisdiction=jurisdiction,
        )
    except InputError as error:  # not pending, self-approval, a bad act: one line
        return refused(error)  # type: ignore[no-any-return] # Prefect's Failed state ends it
    if outcome.final is not None and outcome.jurisdiction is not None:
        emit_final_event(program, outcome.jurisdiction, outcome.final)
    return outcome
