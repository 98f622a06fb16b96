"""Folding a stream's commits into its current state: the only way state is known."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from schemas.events.catalog import (
    ActApproved,
    AwardActionRecorded,
    DeadlineExtended,
    DecisionDetermined,
    DecisionIssued,
    DecisionOverridden,
    DecisionRevised,
    DomainEvent,
    InformationRequested,
    JurisdictionsRegistered,
    LetterQueued,
    LetterSent,
    NoticeQueued,
    NoticeSent,
    ReminderQueued,
    ReminderSent,
    ResponseReceived,
    RulesEvaluated,
    decode_event_data,
)
from schemas.log.commit import GENESIS, Commit, CommitHead
from schemas.log.revision import Revision, revision_notice_id, revision_of
from schemas.log.streams import StreamId
from schemas.people.acts import ActType
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.review_path import Stage
from schemas.rules.evaluation import Evaluation, Outcome

__all__ = [
    "Step",
    "StreamState",
    "advance",
    "apply_event",
    "decoded_events",
    "fold",
    "fold_registry",
]


class Step(StrEnum):
    """Where a review stands."""

    NEW = "new"
    LETTER_SENT = "letter_sent"
    RESPONSE_RECEIVED = "response_received"
    PRELIMINARY = "preliminary"
    """A preliminary decision is on record; the jurisdiction may answer."""
    AWAITING_DETERMINATION = "awaiting_determination"
    """Waiting for a person's final determination (see schemas.planning.stages.review_step)."""
    AWAITING_INFORMATION = "awaiting_information"
    """A request for information is open."""
    DECIDED = "decided"
    """The decision is final."""


@dataclass(frozen=True, slots=True)
class StreamState:
    """What the log says about one review stream, as of its head commit."""

    stream: StreamId
    head_seq: int = -1
    head_hash: str = GENESIS
    last_event_time: datetime | None = None
    letter_queued: LetterQueued | None = None
    letter: LetterSent | None = None
    letter_time: datetime | None = None
    reminder_queued: ReminderQueued | None = None
    reminder: ReminderSent | None = None
    response: ResponseReceived | None = None
    response_shas: tuple[str, ...] = ()
    evaluation: Evaluation | None = None
    decision: Outcome | None = None
    reasons: tuple[str, ...] = ()
    decision_id: str | None = None
    decided_response_sha: str | None = None
    decided: bool = False
    override: DecisionOverridden | None = None
    idempotency_keys: frozenset[str] = field(default_factory=frozenset)
    # The review path (programs with a `review:` section); see schemas/planning/stages.py.
    stage: Stage | None = None
    final: bool = False
    letter_due: date | None = None
    answer_due: date | None = None
    information: InformationRequested | None = None
    information_due: date | None = None
    responded_due: date | None = None
    """The deadline in force when the response in force arrived."""
    last_decision: DecisionIssued | None = None
    """The latest decision event (an automatic final copies it); the index keeps it."""
    late: bool = False
    """The latest evaluation flagged its response as late."""
    answered: bool = False
    """A response arrived after a preliminary decision (the jurisdiction answered)."""
    determination: DecisionDetermined | None = None
    award_action: str | None = None
    notice_wanted: tuple[str, str] | None = None
    """(notice id, kind) of the latest decision or request a notice must tell."""
    notice_queued: NoticeQueued | None = None
    notices_sent: frozenset[str] = frozenset()
    uncertain_facts: tuple[str, ...] = ()
    """Ids of the uncertain facts the latest evaluation relied on (the index keeps these)."""
    decided_for: datetime | None = None
    """Valid time of the decision in force: the moment it is for (its `as_of`; an override's
    is when it was recorded, as it carries none)."""
    decision_recorded: datetime | None = None
    """Recorded time of the decision in force: its commit's time, stamped by the writer."""
    final_seq: int | None = None
    """The commit that made the review final (the final notice and event cite it)."""
    final_time: datetime | None = None
    """When that commit was recorded: the final's recorded time, beside its valid time."""
    final_approvers: tuple[str, ...] = ()
    """Who approved the determination that made the review final (two-person rule)."""
    revision: Revision | None = None
    """The latest revision that is to be told (what its notice states); None before one."""

    @property
    def step(self) -> Step:  # noqa: PLR0911 - one return per step
        """The furthest step this review has reached for its latest evidence."""
        if self.final:
            return Step.DECIDED
        if self.information is not None:
            return Step.AWAITING_INFORMATION
        if self.decided and self.decided_response_sha == self.response_sha:
            return Step.PRELIMINARY if self.stage is Stage.PRELIMINARY else Step.DECIDED
        if self.response is not None:
            return Step.RESPONSE_RECEIVED
        if self.decided:
            return Step.PRELIMINARY if self.stage is Stage.PRELIMINARY else Step.DECIDED
        if self.letter is not None:
            return Step.LETTER_SENT
        return Step.NEW

    @property
    def due(self) -> date | None:
        """The date the jurisdiction's next answer is due (None once final or before a letter)."""
        if self.final:
            return None
        if self.information is not None:
            return self.information_due
        if self.answer_due is not None:
            return self.answer_due
        if self.letter_due is None and self.letter is not None:  # an index from before letter_due
            return self.letter.response_due
        return self.letter_due

    @property
    def response_sha(self) -> str | None:
        """The hash of the response in force (the latest amendment), if any."""
        return None if self.response is None else self.response.response_sha256

    @property
    def decision_in_force(self) -> Outcome | None:
        """The decision in force, None before any decision.

        An override beats a determination beats the automatic one: the one answer that
        status, notices, planning and replay all read.
        """
        if self.override is not None:
            return self.override.decision
        if self.determination is not None:
            return self.determination.decision
        return self.decision

    @property
    def effective_decision(self) -> Outcome:
        """The decision in force, pending before any."""
        return self.decision_in_force or Outcome.PENDING

    @property
    def reasons_in_force(self) -> tuple[str, ...]:
        """Why the decision in force holds: a person's own reason, else the evaluation's."""
        if self.override is not None:
            return (self.override.reason,)
        if self.determination is not None:
            return (self.determination.reason,)
        return self.reasons


def decoded_events(commit: Commit) -> list[tuple[datetime, DomainEvent]]:
    """The commit's events as typed payloads with their time."""
    return [
        (commit.time, decode_event_data(event["type"], event["grschema"], event["data"]))
        for event in commit.events
    ]


def apply_event(state: StreamState, event: DomainEvent, time: datetime) -> StreamState:  # noqa: C901, PLR0911, PLR0912 - one branch per event type
    """The state after one event recorded at `time`: the one fold, for writers and replay."""
    if isinstance(event, LetterQueued):
        return replace(state, letter_queued=event)
    if isinstance(event, ReminderQueued):
        return replace(state, reminder_queued=event)
    if isinstance(event, LetterSent):
        return replace(state, letter=event, letter_time=time, letter_due=event.response_due)
    if isinstance(event, ReminderSent):
        return replace(state, reminder=event)
    if isinstance(event, ResponseReceived):  # also ResponseAmended
        shas = (*state.response_shas, event.response_sha256)
        return replace(
            state,
            response=event,
            response_shas=shas,
            responded_due=state.due,
            information=None,
            answered=state.answered or state.stage is Stage.PRELIMINARY,
        )
    if isinstance(event, RulesEvaluated):
        return replace(
            state,
            evaluation=event.evaluation,
            late=event.evaluation.late,
            uncertain_facts=_uncertain_ids(event.evaluation),
        )
    if isinstance(event, DecisionIssued):
        return _decided(_automatic_dated(state, event.as_of, time), event)
    if isinstance(event, (NoticeQueued, NoticeSent, InformationRequested, DeadlineExtended)):
        return _staged(state, event)
    if isinstance(event, DecisionDetermined):
        dated = _dated(state, event.as_of, time) if state.override is None else state
        return replace(
            dated,
            determination=event,
            final=True,
            stage=Stage.FINAL,
            notice_wanted=(f"determination:{event.as_of.date()}", "final"),
        )
    if isinstance(event, AwardActionRecorded):
        return replace(state, award_action=event.action)
    if isinstance(event, DecisionRevised):
        return _revised(_automatic_dated(state, event.evaluation.as_of, time), event)
    if isinstance(event, DecisionOverridden):
        return replace(_dated(state, time, time), override=event)
    if isinstance(event, ActApproved) and event.proposal.act.type is ActType.DETERMINE:
        # leads the commit whose DecisionDetermined it puts in effect
        return replace(state, final_approvers=tuple(a.act.actor for a in event.approvals))
    return state


def _dated(state: StreamState, valid: datetime, recorded: datetime) -> StreamState:
    """The state with the dates of a decision that is now the one in force."""
    return replace(state, decided_for=valid, decision_recorded=recorded)


def _automatic_dated(state: StreamState, valid: datetime, recorded: datetime) -> StreamState:
    """An automatic decision's dates count only while no person's decision outranks it."""
    if state.override is not None or state.determination is not None:
        return state
    return _dated(state, valid, recorded)


def _uncertain_ids(evaluation: Evaluation) -> tuple[str, ...]:
    return tuple(fact.id for fact in evaluation.uncertain_facts)


def _revised(state: StreamState, event: DecisionRevised) -> StreamState:
    """A revision; one that is to be told (version 4) wants its notice and sets the award action."""
    revised = replace(
        state,
        evaluation=event.evaluation,
        uncertain_facts=_uncertain_ids(event.evaluation),
        decision=event.after,
        reasons=event.reasons,
        decision_id=event.decision_id,
    )
    if not event.notice:  # version 3 and older, or a program without a review path
        return revised
    revision = revision_of(event)
    return replace(
        revised,
        award_action=event.award_action,
        revision=revision,
        notice_wanted=(revision_notice_id(revision), "revision"),
    )


def _decided(state: StreamState, event: DecisionIssued) -> StreamState:
    wanted = None
    if event.stage is not None:  # a final (an automatic close too) has a notice of its own
        notice_id = (
            event.decision_id if event.stage is Stage.PRELIMINARY else f"final:{event.decision_id}"
        )
        wanted = (notice_id, event.stage.value)
    return replace(
        state,
        decision=event.outcome,
        reasons=event.reasons,
        decision_id=event.decision_id,
        decided_response_sha=event.response_sha256,
        decided=True,
        last_decision=event,
        stage=event.stage,
        final=event.stage is Stage.FINAL,
        answer_due=state.answer_due or event.answer_due,
        notice_wanted=wanted,
    )


def _staged(
    state: StreamState,
    event: NoticeQueued | NoticeSent | InformationRequested | DeadlineExtended,
) -> StreamState:
    if isinstance(event, NoticeQueued):
        return replace(state, notice_queued=event)
    if isinstance(event, NoticeSent):
        return replace(
            state, notice_queued=None, notices_sent=state.notices_sent | {event.notice_id}
        )
    if isinstance(event, InformationRequested):
        return replace(
            state,
            information=event,
            information_due=event.due,
            notice_wanted=(event.request_id, "information"),
        )
    if event.deadline == "information":
        return replace(state, information_due=event.until)
    if event.deadline == "answer":
        return replace(state, answer_due=event.until)
    return replace(state, letter_due=event.until)


def fold(
    stream: StreamId, commits: Iterable[Commit], start: StreamState | None = None
) -> StreamState:
    """Fold commits (in seq order, continuing `start` if given) into the stream's state."""
    state = start or StreamState(stream=stream)
    for commit in commits:
        state = advance(state, commit.head, [event for _, event in decoded_events(commit)])
    return state


def advance(
    state: StreamState,
    commit: CommitHead,
    payloads: Sequence[DomainEvent],
    *,
    keep_evaluation: bool = True,
) -> StreamState:
    """The state after the commit `commit` heads, given its events as typed payloads.

    A writer holds the payloads it just sealed, so it need not decode them again
    (decoding them cost about as much as sealing); `fold` decodes stored commits.
    `keep_evaluation=False` drops the latest evaluation in the same step (the state index
    keeps none; a reevaluation holding 20,000 of them to its end cost ~90 MB).
    """
    was_final = state.final
    for event in payloads:
        state = apply_event(state, event, commit.time)
    if state.final and not was_final:
        state = replace(state, final_seq=commit.seq, final_time=commit.time)
    return replace(
        state,
        head_seq=commit.seq,
        head_hash=commit.hash,
        last_event_time=commit.time,
        idempotency_keys=state.idempotency_keys | {commit.idempotency_key},
        evaluation=state.evaluation if keep_evaluation else None,
    )


def fold_registry(commits: Iterable[Commit]) -> dict[str, Jurisdiction]:
    """The jurisdictions the registry stream holds, latest row per slug."""
    registry: dict[str, Jurisdiction] = {}
    for commit in commits:
        for _, event in decoded_events(commit):
            if isinstance(event, JurisdictionsRegistered):
                registry.update((row.slug, row) for row in event.rows)
    return registry
