"""The final determination of a review as one record: what the final notice and event state.

A final is reached by a person's determination (`determine`, or `approve` under the
two-person rule) or automatically (the answer window closed). Either way the jurisdiction
is told the decision, the award action, who determined it (and who approved), the date it
is for (valid time) and the date the log recorded it (recorded time), from the log alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from schemas.log.state import StreamState

__all__ = ["FinalRecord", "final_record"]


@dataclass(frozen=True, slots=True)
class FinalRecord:
    """A review's final determination and its award action, with both of its dates."""

    decision: str
    award_action: str | None
    determined_by: str | None
    """The determining official's id; None when the final came automatically."""
    approved_by: tuple[str, ...]
    decided_for: datetime
    """Valid time: the date the determination is for (the proposer's, under approvals)."""
    recorded_at: datetime
    """Recorded time: when the commit that made the review final was written."""
    seq: int
    """That commit's seq in the stream (what a receipt of the final proves)."""


def final_record(state: StreamState) -> FinalRecord | None:
    """The stream's final determination, None before the review is final."""
    if not state.final or state.final_seq is None or state.final_time is None:
        return None
    determination = state.determination
    if determination is not None:
        official: str | None = determination.actor
        decided_for = determination.as_of
    else:
        official = None
        last = state.last_decision
        decided_for = state.final_time if last is None else last.as_of
    return FinalRecord(
        decision=state.effective_decision.value,
        award_action=state.award_action,
        determined_by=official,
        approved_by=state.final_approvers if determination is not None else (),
        decided_for=decided_for,
        recorded_at=state.final_time,
        seq=state.final_seq,
    )
