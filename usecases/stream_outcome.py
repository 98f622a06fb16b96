"""Where one stream stands after a run: what a review pass reports and a checkpoint covers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.log.final_record import FinalRecord

__all__ = ["StreamOutcome"]


@dataclass(frozen=True)
class StreamOutcome:
    """Where one stream stands after the run, and the head to cover in the next checkpoint."""

    jurisdiction: str
    step: str
    decision: str
    reasons: tuple[str, ...]
    appended: int
    head_seq: int
    head_hash: str
    decided_now: bool = False
    decision_id: str | None = None
    rule_set_version: int | None = None
    response_sha256: str | None = None
    refused: str | None = None
    """Why the stream was left alone (a commit no trusted key signed); its head is not covered."""
    name: str | None = None
    """The jurisdiction's name as imported ("Stockton, CA"), for what people read."""

    damaged: str | None = None
    """Why the stream could not be read (a planted or broken object), else None."""
    stage: str | None = None
    """The review stage of the decision in force (None: a program without stages)."""
    award_action: str | None = None
    """The award action recorded for a final decision, if any."""
    final: FinalRecord | None = None
    """The final determination, when this run made the review final (else None)."""

    @classmethod
    def refusal(cls, jurisdiction: str, reason: str) -> StreamOutcome:
        """A stream this run did not touch: no step taken, no head to checkpoint."""
        return cls._untouched(jurisdiction, "refused", "unknown", reason, refused=reason)

    @classmethod
    def damage(cls, jurisdiction: str, reason: str) -> StreamOutcome:
        """A stream a planted or broken object makes unreadable: reported, the others go on."""
        return cls._untouched(jurisdiction, "damaged", "damaged", reason, damaged=reason)

    @classmethod
    def _untouched(
        cls,
        jurisdiction: str,
        step: str,
        decision: str,
        reason: str,
        *,
        refused: str | None = None,
        damaged: str | None = None,
    ) -> StreamOutcome:
        return cls(
            jurisdiction=jurisdiction,
            step=step,
            decision=decision,
            reasons=(reason,),
            appended=0,
            head_seq=-1,
            head_hash="",
            refused=refused,
            damaged=damaged,
        )
