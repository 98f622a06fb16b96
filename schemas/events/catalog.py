"""Domain events: frozen, past tense, each with a stable type name and a schema version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, Field

from schemas.base.errors import DamagedDataError
from schemas.events._base import DomainEvent
from schemas.events.limits import MAX_ACTOR, MAX_REASON
from schemas.events.stage_events import (
    AwardActionRecorded,
    DeadlineExtended,
    DecisionDetermined,
    InformationRequested,
    NoticeKind,
    NoticeQueued,
    NoticeSent,
)
from schemas.people.acts import SignedAct
from schemas.people.clock import ClockPolicy
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import Answer, Respondent
from schemas.program.review_path import Stage
from schemas.rules.evaluation import Evaluation, Outcome

__all__ = [
    "ACT_EVENTS",
    "EVENT_TYPES",
    "ActApproved",
    "ActEvent",
    "ActProposed",
    "ActRejected",
    "ActSigned",
    "AwardActionRecorded",
    "DeadlineExtended",
    "DecisionDetermined",
    "DecisionIssued",
    "DecisionOverridden",
    "DecisionRevised",
    "DomainEvent",
    "InformationRequested",
    "JurisdictionsRegistered",
    "LetterQueued",
    "LetterSent",
    "NoticeKind",
    "NoticeQueued",
    "NoticeSent",
    "OrderAdded",
    "PeopleAdopted",
    "ReevaluationCompleted",
    "ReminderQueued",
    "ReminderSent",
    "ResponseAmended",
    "ResponseReceived",
    "RulesEvaluated",
    "UnknownEventTypeError",
    "decode_event_data",
]


class JurisdictionsRegistered(DomainEvent):
    """Rows of an import that were new or changed (an unchanged row is not recorded again)."""

    TYPE: ClassVar[str] = "grantreview.jurisdictions.registered"

    rows: tuple[Jurisdiction, ...]
    source_sha256: str


class LetterQueued(DomainEvent):
    """The outbox entry: a letter pinned (content, recipient, Message-ID) before it is mailed.

    Recorded before SMTP delivery, so a run that crashes after mailing re-sends exactly
    this letter under the same `delivery_id` (the Message-ID receivers dedupe on).
    """

    TYPE: ClassVar[str] = "grantreview.letter.queued"

    letter_sha256: str = Field(description="content address of the Markdown letter")
    html_sha256: str
    letter_date: date
    response_due: date | None
    recipient: str
    delivery_id: str = Field(description="the RFC 5322 Message-ID the letter is mailed under")


class LetterSent(DomainEvent):
    """The letter with the program's questions went out (or was recorded as not mailed)."""

    TYPE: ClassVar[str] = "grantreview.letter.sent"

    letter_sha256: str = Field(description="content address of the Markdown letter")
    html_sha256: str | None = None
    letter_date: date
    response_due: date | None
    delivery: Literal["none", "smtp"]
    recipient: str | None = None
    delivery_id: str | None = None


class ReminderSent(DomainEvent):
    """One reminder after `reminder_after_days` without a response."""

    TYPE: ClassVar[str] = "grantreview.reminder.sent"

    letter_sha256: str
    response_due: date | None
    delivery: Literal["none", "smtp"]
    delivery_id: str | None = None


class ReminderQueued(DomainEvent):
    """The outbox entry for a reminder, recorded before it is mailed (see LetterQueued)."""

    TYPE: ClassVar[str] = "grantreview.reminder.queued"

    reminder_sha256: str = Field(description="content address of the Markdown reminder")
    html_sha256: str
    letter_sha256: str
    response_due: date | None
    recipient: str
    delivery_id: str


class ResponseReceived(DomainEvent):
    """The jurisdiction's first response, stored byte for byte under `response_sha256`."""

    TYPE: ClassVar[str] = "grantreview.response.received"

    response_sha256: str
    received_at: AwareDatetime
    respondent: Respondent
    answers: dict[str, Answer]


class ResponseAmended(ResponseReceived):
    """A later, different response for the same cycle; it supersedes the earlier one."""

    TYPE: ClassVar[str] = "grantreview.response.amended"

    supersedes_sha256: str


class RulesEvaluated(DomainEvent):
    """A rule set was evaluated: every condition's status with full provenance.

    Version 2: the evaluation may carry `due` and `late` (staged reviews). Version 3: it
    may carry `footing`, the facts relied on with their certainty.
    """

    TYPE: ClassVar[str] = "grantreview.rules.evaluated"
    VERSION: ClassVar[int] = 3

    decision_id: str
    evaluation: Evaluation


class DecisionIssued(DomainEvent):
    """The decision that followed an evaluation.

    Version 2 adds the review path: `stage` (None: a program without a `review:` section,
    final at evaluation), the deadline `due` the evaluation used, and for a preliminary
    decision `answer_due`, the last day the jurisdiction may answer.
    """

    TYPE: ClassVar[str] = "grantreview.decision.issued"
    VERSION: ClassVar[int] = 2

    decision_id: str
    outcome: Outcome
    reasons: tuple[str, ...]
    rule_set_version: int | None
    program_sha256: str
    response_sha256: str | None
    as_of: AwareDatetime
    known_at: AwareDatetime
    stage: Stage | None = None
    due: date | None = None
    answer_due: date | None = None


class DecisionRevised(DomainEvent):
    """A reevaluation changed the outcome or the reasons of an earlier decision.

    Carries what an auditor asks first (before and after, why, under which program
    document, rule-set version and orders) beside the full evaluation it follows from.
    """

    TYPE: ClassVar[str] = "grantreview.decision.revised"
    # Version 2: the evaluation may carry `due` and `late`; version 3: `footing`;
    # version 4: `notice` and `award_action` (a revision is told, as a notice of its own).
    VERSION: ClassVar[int] = 4

    decision_id: str
    previous_decision_id: str | None
    before: Outcome
    after: Outcome
    reasons_before: tuple[str, ...]
    reasons: tuple[str, ...]
    program_sha256: str
    rule_set_version: int | None
    orders_applied: tuple[str, ...]
    evaluation: Evaluation
    notice: bool = False
    """A revision notice is due (a program with a review path); older revisions sent none."""
    award_action: str | None = None
    """The award action for the new outcome (the program's `review.award_actions`); only read
    when `notice` is set, so an older revision leaves the award action as it was."""


class DecisionOverridden(DomainEvent):
    """A person overrode the automatic decision, with a reason; automation never undoes it."""

    TYPE: ClassVar[str] = "grantreview.decision.overridden"

    decision: Outcome
    reason: str = Field(min_length=1, max_length=MAX_REASON)
    actor: str = Field(min_length=1, max_length=MAX_ACTOR)
    previous: Outcome | None


class OrderAdded(DomainEvent):
    """A person added a court order to a program (or changed one): a new program version.

    Recorded on `{program}/_acts` beside the person's signed `add-order` act, whose params
    carry the same fields. Both program documents and the preview (`grantreview.preview/1`,
    what the office saw before acting) are stored content-addressed under these hashes.
    """

    TYPE: ClassVar[str] = "grantreview.program.order_added"

    order_id: str = Field(min_length=1, max_length=200)
    program_before_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    program_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    preview_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    actor: str = Field(min_length=1, max_length=MAX_ACTOR)


class ReevaluationCompleted(DomainEvent):
    """One reevaluation run: what it saw, as the hash of the stored outcome list.

    `outcomes_sha256` addresses the canonical per-jurisdiction outcome list under
    documents/sha256/, so a run that changed nothing still proves what it evaluated.
    """

    TYPE: ClassVar[str] = "grantreview.reevaluation.completed"

    as_of: AwareDatetime
    known_at: AwareDatetime
    program_sha256: str
    rule_set_version: int | None
    streams: int
    revised: int
    unchanged: int
    overridden_differences: int
    awaiting_review: int
    not_due: int
    unregistered: int
    outcomes_sha256: str


class ActEvent(DomainEvent):
    """An event recording people's acts, with the clock policy its writer checked them under.

    Version 2 adds `clock` (docs/log-format.md, "Clock policy"); version 1 has none and is
    held to the bound its writers enforced then.
    """

    VERSION: ClassVar[int] = 2
    CANONICAL_BY_TYPE: ClassVar[bool] = False
    """An act's `params` is an open object: sealing walks it (signing it walked it too)."""

    clock: ClockPolicy | None = None


class ActSigned(ActEvent):
    """A person's signed act, recorded in the same commit as what it did (docs/log-format.md)."""

    TYPE: ClassVar[str] = "grantreview.act.signed"

    signed: SignedAct


class ActProposed(ActEvent):
    """An act the program wants more than one person for: recorded, not yet in effect."""

    TYPE: ClassVar[str] = "grantreview.act.proposed"

    signed: SignedAct
    approvals_needed: int = Field(ge=2, le=10)


class ActApproved(ActEvent):
    """A proposed act took effect: the proposal and every approval, each signed by its person."""

    TYPE: ClassVar[str] = "grantreview.act.approved"

    proposal: SignedAct
    approvals: tuple[SignedAct, ...] = Field(min_length=1)


class ActRejected(ActEvent):
    """A proposed act was closed without effect, by a person with the role, with a reason."""

    TYPE: ClassVar[str] = "grantreview.act.rejected"

    proposal_id: str
    rejection: SignedAct


class PeopleAdopted(ActEvent):
    """An administrator put a people file in force (the registry stream; docs/log-format.md).

    The act (`people`) names the adopted file's hash in `params.people_sha256`; it is signed
    under the file in force before, or, for the very first adoption (the trust root), under
    the adopted file itself by one of its administrators.
    """

    TYPE: ClassVar[str] = "grantreview.people.adopted"

    signed: SignedAct

    @property
    def adopted(self) -> str:
        """The SHA-256 of the canonical people document now in force."""
        return str(self.signed.act.params.get("people_sha256", ""))


ACT_EVENTS: tuple[type[DomainEvent], ...] = (
    ActSigned,
    ActProposed,
    ActApproved,
    ActRejected,
    PeopleAdopted,
)
"""Events that record people's acts; folding a review's state ignores them."""


_ALL: tuple[type[DomainEvent], ...] = (
    JurisdictionsRegistered,
    LetterQueued,
    LetterSent,
    ReminderQueued,
    ReminderSent,
    ResponseReceived,
    ResponseAmended,
    RulesEvaluated,
    DecisionIssued,
    DecisionRevised,
    DecisionOverridden,
    ReevaluationCompleted,
    OrderAdded,
    NoticeQueued,
    NoticeSent,
    InformationRequested,
    DeadlineExtended,
    DecisionDetermined,
    AwardActionRecorded,
    *ACT_EVENTS,
)
EVENT_TYPES: dict[str, type[DomainEvent]] = {cls.TYPE: cls for cls in _ALL}

# Upcasters: a stored (type, version) to the current version's data. The older versions
# of these lacked only fields that now have defaults, so their data validates unchanged.
_UPCASTS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {
    (RulesEvaluated.TYPE, 1): dict,
    (RulesEvaluated.TYPE, 2): dict,
    (DecisionIssued.TYPE, 1): dict,
    (DecisionRevised.TYPE, 1): dict,
    **{(cls.TYPE, 1): dict for cls in ACT_EVENTS},
    (DecisionRevised.TYPE, 2): dict,
    (DecisionRevised.TYPE, 3): dict,  # version 4 adds `notice` and `award_action`
    (NoticeQueued.TYPE, 1): dict,  # version 2 adds `template`, 1 for every older notice
    (NoticeSent.TYPE, 1): dict,
    (NoticeQueued.TYPE, 2): dict,  # version 3 adds the kind `revision`
    (NoticeSent.TYPE, 2): dict,
}


class UnknownEventTypeError(DamagedDataError):
    """A stored event whose type or schema version this code does not know."""


def decode_event_data(event_type: str, version: int, data: dict[str, Any]) -> DomainEvent:
    """Rebuild a payload from its stored form (upcasting older schema versions here)."""
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise UnknownEventTypeError(f"unknown event type {event_type!r}")
    if version != cls.VERSION:
        upcast = _UPCASTS.get((event_type, version))
        if upcast is None:
            raise UnknownEventTypeError(f"{event_type} schema version {version} is not supported")
        data = upcast(data)
    return cls.model_validate(data)
