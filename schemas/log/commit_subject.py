"""What one commit records, read from its own bytes: what a receipt of it proves.

A receipt proves a commit is in the log; a person handing it to a jurisdiction must know
which record that is (stream, seq, events, stage, decision). Read from the proven bytes
only, never from metadata beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from schemas.events.catalog import (
    AwardActionRecorded,
    DecisionDetermined,
    DecisionIssued,
    DecisionOverridden,
    DecisionRevised,
    UnknownEventTypeError,
)
from schemas.log.commit import CommitFormatError, parse_commit
from schemas.log.state import decoded_events

if TYPE_CHECKING:
    from schemas.events.catalog import DomainEvent

__all__ = ["DECISION_EVENTS", "CommitSubject", "commit_subject"]

DECISION_EVENTS: Final = frozenset(
    {
        DecisionIssued.TYPE,
        DecisionRevised.TYPE,
        DecisionOverridden.TYPE,
        DecisionDetermined.TYPE,
        AwardActionRecorded.TYPE,
    }
)
"""Event types that set or restate the decision in force: a receipt's default subject."""


@dataclass(frozen=True, slots=True)
class CommitSubject:
    """The record a commit holds, in the words an auditor checks it by."""

    stream: str
    seq: int
    event_types: tuple[str, ...]
    stage: str | None = None
    decision: str | None = None
    award_action: str | None = None

    def line(self) -> str:
        """`stream jag-fy2018/chicago-il seq 7: decision.determined, award.action; ...`."""
        types = ", ".join(kind.removeprefix("grantreview.") for kind in self.event_types)
        parts = [f"stream {self.stream} seq {self.seq}: {types or 'no events'}"]
        if self.stage is not None:
            parts.append(f"stage {self.stage}")
        if self.decision is not None:
            parts.append(f"decision {self.decision}")
        if self.award_action is not None:
            parts.append(f"award action {self.award_action}")
        return "; ".join(parts)

    def as_json(self) -> dict[str, Any]:
        """The `covers` object of a receipt's JSON output."""
        return {
            "stream": self.stream,
            "seq": self.seq,
            "event_types": list(self.event_types),
            "stage": self.stage,
            "decision": self.decision,
            "award_action": self.award_action,
        }


def _stage_and_decision(event: DomainEvent) -> tuple[str | None, str | None]:
    if isinstance(event, DecisionIssued):
        return (None if event.stage is None else event.stage.value), event.outcome.value
    if isinstance(event, DecisionDetermined):
        return "final", event.decision.value
    if isinstance(event, DecisionRevised):
        return None, event.after.value
    if isinstance(event, DecisionOverridden):
        return None, event.decision.value
    return None, None


def commit_subject(raw: bytes) -> CommitSubject | None:
    """The record `raw` (a commit's exact bytes) holds; None if they are no readable commit."""
    try:
        commit = parse_commit(raw)
        events = [event for _, event in decoded_events(commit)]
    except (CommitFormatError, UnknownEventTypeError, ValidationError, KeyError, TypeError):
        return None
    stage = decision = award = None
    for event in events:
        found_stage, found_decision = _stage_and_decision(event)
        stage, decision = found_stage or stage, found_decision or decision
        if isinstance(event, AwardActionRecorded):
            award, decision = event.action, decision or event.decision.value
    return CommitSubject(
        stream=commit.stream,
        seq=commit.seq,
        event_types=tuple(str(event.get("type", "")) for event in commit.events),
        stage=stage,
        decision=decision,
        award_action=award,
    )
