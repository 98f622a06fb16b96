"""What replay reports per jurisdiction: its state at the moments and a readable timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from schemas.events.catalog import (
    ActApproved,
    ActProposed,
    ActRejected,
    ActSigned,
    AwardActionRecorded,
    DeadlineExtended,
    DecisionDetermined,
    DecisionIssued,
    DecisionOverridden,
    DecisionRevised,
    DomainEvent,
    InformationRequested,
    LetterSent,
    NoticeQueued,
    NoticeSent,
    PeopleAdopted,
    ReevaluationCompleted,
    ReminderSent,
    ResponseAmended,
    ResponseReceived,
    RulesEvaluated,
)

if TYPE_CHECKING:
    from datetime import datetime

    from schemas.replay._standing import Standing
    from schemas.rules.evaluation import Evaluation, Outcome

__all__ = [
    "JurisdictionReplay",
    "TimelineEntry",
    "evidence",
    "sent_document",
    "stage_of",
    "summarize",
]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event as an auditor reads it; `decision` is the one in force after it (if admitted)."""

    seq: int
    type: str
    recorded: datetime
    valid: datetime
    summary: str
    admitted: bool
    decision: Outcome | None = None
    changed: bool = False
    reasons: tuple[str, ...] = ()
    program_sha256: str | None = None
    """The program document the event rests on (evaluations and decisions), by hash."""
    response_sha256: str | None = None
    """The response document the event rests on, by hash."""
    stage: str | None = None
    """The review stage the event belongs to (preliminary, final, notice, extension, ...)."""
    final: bool = False
    """The decision in force after the event is final (not a preliminary one)."""
    document_sha256: str | None = None
    """What a "sent" line sent (a letter's, reminder's or notice's Markdown), by hash."""

    def as_json(self) -> dict[str, Any]:
        """The entry in `audit replay --json`."""
        return {
            "seq": self.seq,
            "type": self.type,
            "recorded": self.recorded.isoformat(),
            "valid": self.valid.isoformat(),
            "summary": self.summary,
            "admitted": self.admitted,
            "decision": None if self.decision is None else self.decision.value,
            "changed": self.changed,
            "reasons": list(self.reasons),
            "program_sha256": self.program_sha256,
            "response_sha256": self.response_sha256,
            "stage": self.stage,
            "final": self.final,
            "document_sha256": self.document_sha256,
        }


@dataclass(frozen=True, slots=True)
class JurisdictionReplay:
    """One stream's state at the moments, and its timeline."""

    program: str
    jurisdiction: str
    decision: Outcome
    automatic_decision: Outcome | None
    reasons: tuple[str, ...]
    override_reason: str | None
    response_sha256: str | None
    head_seq: int
    events: int
    timeline: tuple[TimelineEntry, ...]
    standing: Standing

    def as_json(self) -> dict[str, Any]:
        """The jurisdiction in `audit replay --json`."""
        return {
            "program": self.program,
            "jurisdiction": self.jurisdiction,
            "decision": self.decision.value,
            "automatic_decision": None
            if self.automatic_decision is None
            else self.automatic_decision.value,
            "overridden": self.override_reason is not None,
            "override_reason": self.override_reason,
            "reasons": list(self.reasons),
            "response_sha256": self.response_sha256,
            "head_seq": self.head_seq,
            "events": self.events,
            "timeline": [entry.as_json() for entry in self.timeline],
            "standing": self.standing.as_json(),
        }


def evidence(event: DomainEvent) -> tuple[str | None, str | None]:
    """The program and response documents (SHA-256) an event rests on, where it names them."""
    if isinstance(event, RulesEvaluated):
        return event.evaluation.program_sha256, event.evaluation.response_sha256
    if isinstance(event, DecisionIssued):
        return event.program_sha256, event.response_sha256
    if isinstance(event, DecisionRevised):
        return event.program_sha256, event.evaluation.response_sha256
    if isinstance(event, (ResponseReceived, ResponseAmended)):
        return None, event.response_sha256
    return None, None


def sent_document(event: DomainEvent) -> str | None:
    """The stored content a letter, reminder or notice event sent, by hash (else None)."""
    if isinstance(event, LetterSent | ReminderSent):
        return event.letter_sha256
    if isinstance(event, NoticeSent):
        return event.notice_sha256
    return None


_DELIVERY = {"smtp": "mailed", "none": "recorded as sent, not mailed (no mail server was set)"}
"""How a letter left, in plain words (the event says `smtp` or `none`)."""


def stage_of(event: DomainEvent) -> str | None:  # noqa: PLR0911 - one label per event type
    """The label of a staged review's step the timeline row shows (None: not a stage event)."""
    if isinstance(event, DecisionIssued):
        return None if event.stage is None else event.stage.value
    if isinstance(event, DecisionDetermined):
        return "final"
    if isinstance(event, NoticeQueued | NoticeSent):
        return f"{event.kind} notice"
    if isinstance(event, InformationRequested):
        return "information request"
    if isinstance(event, DeadlineExtended):
        return "extension"
    if isinstance(event, AwardActionRecorded):
        return "award action"
    return None


def _staged_summary(event: DomainEvent) -> str | None:  # noqa: PLR0911 - one line per event type
    if isinstance(event, DecisionIssued) and event.stage is not None:
        due = f"; may answer until {event.answer_due}" if event.answer_due else ""
        return f"{event.stage} decision issued: {event.outcome}{due}"
    if isinstance(event, DecisionDetermined):
        return (
            f"final determination by {event.actor}: {event.decision} "
            f"(evaluation said {event.evaluated}): {event.reason}"
        )
    if isinstance(event, NoticeQueued):
        return f"{event.kind} notice of {event.notice_date} queued for {event.recipient}"
    if isinstance(event, NoticeSent):
        due = f"; answer by {event.answer_due}" if event.answer_due else ""
        return f"{event.kind} notice of {event.notice_date} sent ({event.delivery}){due}"
    if isinstance(event, InformationRequested):
        asked = ", ".join(event.questions)
        return f"information requested by {event.actor} ({asked}) due {event.due}: {event.reason}"
    if isinstance(event, DeadlineExtended):
        return (
            f"{event.deadline} deadline extended by {event.actor} from {event.previous} "
            f"to {event.until}: {event.reason}"
        )
    if isinstance(event, AwardActionRecorded):
        return f"award action: {event.action} ({event.decision})"
    return None


def _act_summary(event: DomainEvent) -> str | None:
    """Who signed a person's act, and what it was: an auditor never reads an anonymous act."""
    if isinstance(event, ActSigned):
        return f"{event.signed.act.type} act signed by {event.signed.act.actor}"
    if isinstance(event, ActProposed):
        act = event.signed.act
        return (
            f"{act.type} act proposed by {act.actor}, "
            f"awaiting {event.approvals_needed - 1} approval(s)"
        )
    if isinstance(event, ActApproved):
        approvers = ", ".join(approval.act.actor for approval in event.approvals)
        act = event.proposal.act
        return f"{act.type} act proposed by {act.actor}, approved by {approvers}"
    if isinstance(event, ActRejected):
        return f"act {event.proposal_id[:12]} rejected by {event.rejection.act.actor}"
    if isinstance(event, PeopleAdopted):
        return f"people file adopted by {event.signed.act.actor}"
    return None


def _revised(event: DecisionRevised) -> str:
    """A revision's line: what changed, under which orders, and whether it is told."""
    orders = ", ".join(event.orders_applied) or "none"
    line = f"decision revised: {event.before} -> {event.after} (orders applied: {orders})"
    if event.notice:
        line += f"; award action {event.award_action or 'none'}; a revision notice is due"
    return _with_footing(line, event.evaluation)


def _with_footing(line: str, evaluation: Evaluation) -> str:
    """The line, then every uncertain fact the evaluation relied on, with its source."""
    return "; ".join((line, *(fact.describe() for fact in evaluation.uncertain_facts)))


def summarize(event: DomainEvent) -> str:  # noqa: PLR0911 - one line per event type
    """One line an auditor reads for the event."""
    staged = _staged_summary(event) or _act_summary(event)
    if staged is not None:
        return staged
    if isinstance(event, LetterSent):
        sent = _DELIVERY.get(event.delivery, event.delivery)
        return f"letter dated {event.letter_date} {sent}; response due {event.response_due}"
    if isinstance(event, ResponseAmended):
        return f"response amended by {event.respondent.title} ({len(event.answers)} answers)"
    if isinstance(event, ResponseReceived):
        return f"response received from {event.respondent.title} ({len(event.answers)} answers)"
    if isinstance(event, RulesEvaluated):
        version = event.evaluation.rule_set_version
        line = f"rules evaluated (rule set version {version}): {event.evaluation.outcome}"
        return _with_footing(line, event.evaluation)
    if isinstance(event, DecisionIssued):
        return f"decision issued: {event.outcome}"
    if isinstance(event, DecisionRevised):
        return _revised(event)
    if isinstance(event, DecisionOverridden):
        return f"decision overridden to {event.decision} by {event.actor}: {event.reason}"
    if isinstance(event, ReevaluationCompleted):
        return f"reevaluation run: {event.revised} of {event.streams} streams revised"
    return event.TYPE.removeprefix("grantreview.").replace(".", " ")
