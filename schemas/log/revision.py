"""What a revision notice tells, from the revision alone: the sender, replay and preview share it.

A reevaluation that revises a decision of a program with a review path records that a
notice is due (`DecisionRevised` version 4). The notice is rendered from these values, the
program and the jurisdiction only, so a preview that builds them from the revision it would
write renders the bytes the sender later sends, whatever day it sends them.
"""

# No `from __future__ import annotations`: pydantic reads these annotations at runtime.
from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.events.catalog import DecisionRevised
from schemas.rules.evaluation import Outcome

__all__ = ["Revision", "revision_notice_id", "revision_of"]


class Revision(BaseModel):
    """A revised decision as its notice states it (the state index keeps it, small)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision_id: str
    before: Outcome
    after: Outcome
    reasons: tuple[str, ...]
    orders_applied: tuple[str, ...]
    award_action: str | None
    as_of: AwareDatetime
    """The revision's valid time: the notice is dated and "decided for" its date."""


def revision_of(event: DecisionRevised) -> Revision:
    """The values a revision's notice is rendered from."""
    return Revision(
        decision_id=event.decision_id,
        before=event.before,
        after=event.after,
        reasons=event.reasons,
        orders_applied=event.orders_applied,
        award_action=event.award_action,
        as_of=event.evaluation.as_of,
    )


def revision_notice_id(revision: Revision) -> str:
    """The notice id of a revision: told once, whatever day it is sent."""
    return f"revision:{revision.decision_id}"
