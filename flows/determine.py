"""The determine flow: a person's final determination, runnable from the Prefect UI."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flows._flow import grant_flow
from flows._refusal import refused
from infra.runtime import get_runtime
from schemas.base.errors import InputError
from schemas.log.final_record import final_record
from tasks.acts import form_act
from tasks.decision_events import emit_final_event
from usecases.stages import ActResult, check_act
from usecases.stages import determine as record_determination

__all__ = ["determine"]


@grant_flow("determine", run_name="determine {jurisdiction} {program}")
def determine(  # noqa: PLR0917 - Prefect passes parameters by name; the form keeps this order
    program: str,
    jurisdiction: str,
    decision: Literal["eligible", "ineligible"],
    reason: str,
    actor: str,
    as_of: datetime | None = None,
    act: str | None = None,
    signature: str | None = None,
) -> ActResult:
    """Record the final determination of a stream awaiting one (the evaluation is kept too).

    The same use case as `grantreview determine`; the same determination again appends
    nothing. Returns what the act did (`written` is False too when it awaits approvals).

    Args:
        program: The grant program, e.g. psp-2017.
        jurisdiction: The jurisdiction's slug, e.g. stockton-ca.
        decision: The final decision.
        reason: Why, in plain language (kept beside the latest evaluation).
        actor: Your id (in the people file when one is in force).
        as_of: The date of the determination; empty means now.
        act: With a people file in force: the act prepared for this determination.
        signature: Your SSH signature of the act (ssh-keygen -Y sign -n grantreview).
    """
    try:
        outcome = check_act(reason, actor, decision)  # bad input first: nothing read
        assert outcome is not None  # noqa: S101 - check_act returns one when given a decision
        runtime = get_runtime()
        chosen = ["--decision", decision, "--reason", reason, "--actor", actor]
        presigned = form_act(
            runtime,
            "determine",
            [jurisdiction, "-p", program, *chosen],
            as_of=as_of,
            act=act,
            signature=signature,
        )
        result = record_determination(
            runtime,
            program,
            jurisdiction,
            decision=outcome,
            reason=reason,
            actor=actor,
            as_of=as_of,
            presigned=presigned,
        )
    except InputError as error:  # bad input or a refused act: one line, nothing written
        return refused(error)  # type: ignore[no-any-return] # Prefect's Failed state ends it
    if result.written and (final := final_record(result.state)) is not None:
        emit_final_event(program, jurisdiction, final)  # the review became final here
    return result
