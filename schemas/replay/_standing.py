"""Where a replayed review stands, as the stage machine has it: never a preliminary as final.

A decision in force is *final* when the log says so (a final decision, a person's
determination, an override, or a program without stages, final at evaluation); before
that it is preliminary, or waits on information or a response, and counts as pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.log.state import Step, StreamState
from schemas.rules.evaluation import Outcome

__all__ = ["Standing", "standing_of"]

_WAITING = {
    Step.NEW: "no decision yet",
    Step.LETTER_SENT: "letter sent, awaiting the response",
    Step.RESPONSE_RECEIVED: "response received, awaiting evaluation",
    Step.AWAITING_DETERMINATION: "awaiting a determination",
}
"""The words for a review with no decision in force, by step."""


@dataclass(frozen=True, slots=True)
class Standing:
    """The outcome in force, whether it is final, and the award action recorded for it."""

    step: Step
    outcome: Outcome
    final: bool
    award_action: str | None = None
    decided: bool = False
    """Some decision (preliminary or final) is in force."""
    decided_for: datetime | None = None
    """Valid time of the decision in force (the date it is for)."""
    recorded_on: datetime | None = None
    """Recorded time of the decision in force (when the log stored it)."""

    @property
    def shown(self) -> Outcome:
        """What a count or a badge shows: the outcome once final, else pending."""
        return self.outcome if self.final else Outcome.PENDING

    @property
    def label(self) -> str:
        """The standing in a few words: `final: ineligible`, `preliminary: eligible`, ..."""
        if self.final:
            action = f"; award action: {self.award_action}" if self.award_action else ""
            return f"final: {self.outcome}{action}"
        if self.step is Step.AWAITING_INFORMATION:
            return f"awaiting information (preliminary: {self.outcome})"
        if self.decided:
            waiting = _WAITING.get(self.step)
            return f"preliminary: {self.outcome}" + (f"; {waiting}" if waiting else "")
        return _WAITING.get(self.step, "no decision yet")

    def as_json(self) -> dict[str, Any]:
        """The `standing` object of a jurisdiction in `audit replay --json`."""
        return {
            "step": self.step.value,
            "final": self.final,
            "shown": self.shown.value,
            "award_action": self.award_action,
            "label": self.label,
            "decided_for": None if self.decided_for is None else self.decided_for.isoformat(),
            "recorded_on": None if self.recorded_on is None else self.recorded_on.isoformat(),
        }


def standing_of(state: StreamState, effective: Outcome) -> Standing:
    """The standing of a stream folded from its admitted events; `effective` is in force."""
    return Standing(
        step=state.step,
        outcome=effective,
        # without stages a decision is final at evaluation, even with an amendment pending
        final=state.final or state.override is not None or (state.decided and state.stage is None),
        award_action=state.award_action,
        decided=state.decided or state.override is not None,
        decided_for=state.decided_for,
        recorded_on=state.decision_recorded,
    )
