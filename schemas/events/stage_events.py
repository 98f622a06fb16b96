"""Events of a staged review: notices, requests for information, extensions, people's acts.

Frozen, past tense, each with a stable type name and a schema version (registered in
`schemas.events.catalog.EVENT_TYPES`). Documented in docs/log-format.md.
"""

# No `from __future__ import annotations`: pydantic reads these annotations at runtime.
from datetime import date
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from schemas.events._base import DomainEvent
from schemas.events.limits import MAX_ACTOR, MAX_REASON
from schemas.rules.evaluation import Outcome

__all__ = [
    "AwardActionRecorded",
    "DeadlineExtended",
    "DeadlineKind",
    "DecisionDetermined",
    "InformationRequested",
    "NoticeKind",
    "NoticeQueued",
    "NoticeSent",
]

NoticeKind = Literal["preliminary", "final", "information", "revision"]
DeadlineKind = Literal["letter", "answer", "information"]
_Reason = Field(min_length=1, max_length=MAX_REASON)
_Actor = Field(min_length=1, max_length=MAX_ACTOR)
_Template = Field(
    default=1,
    ge=1,
    le=2,
    description="the default notice template's version it was rendered with (replay uses it)",
)


class NoticeQueued(DomainEvent):
    """The outbox entry for a notice, pinned before it is mailed (as `LetterQueued`).

    Version 2 adds `template` (version 1 notices were all rendered with template 1);
    version 3 the kind `revision` (a reevaluation revised the decision).
    """

    TYPE: ClassVar[str] = "grantreview.notice.queued"
    VERSION: ClassVar[int] = 3

    notice_id: str = Field(description="what the notice is about: a decision or a request")
    kind: NoticeKind
    notice_sha256: str = Field(description="content address of the Markdown notice")
    html_sha256: str
    notice_date: date
    answer_due: date | None
    recipient: str
    delivery_id: str
    template: int = _Template


class NoticeSent(DomainEvent):
    """A notice told the jurisdiction a decision (or a request), with the date to answer by.

    Version 2 adds `template`, as `NoticeQueued`; version 3 the kind `revision`.
    """

    TYPE: ClassVar[str] = "grantreview.notice.sent"
    VERSION: ClassVar[int] = 3

    notice_id: str
    kind: NoticeKind
    notice_sha256: str = Field(description="content address of the Markdown notice")
    html_sha256: str
    notice_date: date
    answer_due: date | None
    delivery: Literal["none", "smtp"]
    recipient: str | None = None
    delivery_id: str | None = None
    template: int = _Template


class InformationRequested(DomainEvent):
    """A person asked the jurisdiction (again) for answers to some questions by a date."""

    TYPE: ClassVar[str] = "grantreview.information.requested"

    request_id: str
    questions: tuple[str, ...] = Field(min_length=1)
    due: date
    requested_on: date
    reason: str = _Reason
    actor: str = _Actor


class DeadlineExtended(DomainEvent):
    """A person moved this jurisdiction's deadline in force (letter, answer window, request)."""

    TYPE: ClassVar[str] = "grantreview.deadline.extended"

    deadline: Literal["letter", "answer", "information"]
    previous: date
    until: date
    reason: str = _Reason
    actor: str = _Actor


class DecisionDetermined(DomainEvent):
    """The final determination by an accountable person; the latest evaluation is kept beside it."""

    TYPE: ClassVar[str] = "grantreview.decision.determined"

    decision: Outcome
    reason: str = _Reason
    actor: str = _Actor
    evaluated: Outcome | None = Field(description="the latest evaluation's outcome, if any")
    evaluation_id: str | None
    as_of: AwareDatetime


class AwardActionRecorded(DomainEvent):
    """The consequence on the award of a final decision, as the program names it."""

    TYPE: ClassVar[str] = "grantreview.award.action"

    decision: Outcome
    action: str = Field(min_length=1, max_length=64)
