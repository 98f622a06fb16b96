"""The act flow: record a person's act signed on their own machine (deployment `act`)."""

from __future__ import annotations

from flows._flow import grant_flow
from flows._refusal import refused
from schemas.base.errors import InputError
from tasks.acts import parse_signed_act, record_signed_act
from tasks.decision_events import emit_final_event
from usecases.proposals import ActOutcome

__all__ = ["act"]


@grant_flow("act")
def act(act: str, signature: str) -> ActOutcome:
    """Record an act prepared with `--prepare` and signed by its person.

    Without a valid signature by a person whose role allows the act, the run fails in one
    line and nothing is written. A determination (or an approval) that makes a review final
    emits `grantreview.decision.final`.

    Args:
        act: The act as prepared and signed: the text a command's `--prepare` printed
            (e.g. `grantreview determine SLUG -p PROGRAM ... --prepare`).
        signature: Your SSH signature of the act: the text `grantreview sign act.json` (or
            ssh-keygen -Y sign -n grantreview -f KEY act.json) printed.
    """
    try:  # in the flow itself: a task's failure would log its traceback in the run's logs
        outcome = record_signed_act(act, signature)
    except InputError as error:  # unsigned, not verifying or not allowed: one line
        return refused(error)  # type: ignore[no-any-return] # Prefect's Failed state ends the run
    signed = parse_signed_act(act, signature)  # read once more: it was recorded, so it parses
    if signed is not None and outcome.final is not None and outcome.jurisdiction is not None:
        emit_final_event(signed.act.program, outcome.jurisdiction, outcome.final)  # made final
    return outcome
