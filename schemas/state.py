"""Folding a stream's commits into its current state: the only way state is known."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from schemas.commit import GENESIS, Commit, CommitHead
from schemas.evaluation import Evaluation, Outcome
from schemas.events import (
    DecisionIssued,
    DecisionOverridden,
    DecisionRevised,
    DomainEvent,
    JurisdictionsRegistered,
    LetterQueued,
    LetterSent,
    ReminderQueued,
    ReminderSent,
    ResponseReceived,
    RulesEvaluated,
    decode_event_data,
)
from schemas.jurisdiction import Jurisdiction
from schemas.streams import StreamId

__all__ = ["Step", "StreamState", "advance", "decoded_events", "fold", "fold_registry"]


class Step(StrEnum):
    """Where a review stands."""

    NEW = "new"
    LETTER_SENT = "letter_sent"
    RESPONSE_RECEIVED = "response_received"
    DECIDED = "decided"


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

    @property
    def step(self) -> Step:
        """The furthest step this review has reached for its latest evidence."""
        if self.decided and self.decided_response_sha == self.response_sha:
            return Step.DECIDED
        if self.response is not None:
            return Step.RESPONSE_RECEIVED
        if self.decided:
            return Step.DECIDED
        if self.letter is not None:
            return Step.LETTER_SENT
        return Step.NEW

    @property
    def response_sha(self) -> str | None:
        """The hash of the response in force (the latest amendment), if any."""
        return None if self.response is None else self.response.response_sha256

    @property
    def effective_decision(self) -> Outcome:
        """The decision in force: a human override beats the automatic one."""
        if self.override is not None:
            return self.override.decision
        return self.decision or Outcome.PENDING


def decoded_events(commit: Commit) -> list[tuple[datetime, DomainEvent]]:
    """The commit's events as typed payloads with their time."""
    return [
        (commit.time, decode_event_data(event["type"], event["grschema"], event["data"]))
        for event in commit.events
    ]


def _apply(state: StreamState, event: DomainEvent, time: datetime) -> StreamState:  # noqa: PLR0911 - one return per event type
    if isinstance(event, LetterQueued):
        return replace(state, letter_queued=event)
    if isinstance(event, ReminderQueued):
        return replace(state, reminder_queued=event)
    if isinstance(event, LetterSent):
        return replace(state, letter=event, letter_time=time)
    if isinstance(event, ReminderSent):
        return replace(state, reminder=event)
    if isinstance(event, ResponseReceived):  # also ResponseAmended
        shas = (*state.response_shas, event.response_sha256)
        return replace(state, response=event, response_shas=shas)
    if isinstance(event, RulesEvaluated):
        return replace(state, evaluation=event.evaluation)
    if isinstance(event, DecisionIssued):
        return replace(
            state,
            decision=event.outcome,
            reasons=event.reasons,
            decision_id=event.decision_id,
            decided_response_sha=event.response_sha256,
            decided=True,
        )
    if isinstance(event, DecisionRevised):
        return replace(
            state,
            evaluation=event.evaluation,
            decision=event.after,
            reasons=event.reasons,
            decision_id=event.decision_id,
        )
    if isinstance(event, DecisionOverridden):
        return replace(state, override=event)
    return state


def fold(
    stream: StreamId, commits: Iterable[Commit], start: StreamState | None = None
) -> StreamState:
    """Fold commits (in seq order, continuing `start` if given) into the stream's state."""
    state = start or StreamState(stream=stream)
    for commit in commits:
        state = advance(state, commit.head, [event for _, event in decoded_events(commit)])
    return state


def advance(state: StreamState, commit: CommitHead, payloads: Sequence[DomainEvent]) -> StreamState:
    """The state after the commit `commit` heads, given its events as typed payloads.

    A writer holds the payloads it just sealed, so it need not decode them again
    (decoding them cost about as much as sealing); `fold` decodes stored commits.
    """
    for event in payloads:
        state = _apply(state, event, commit.time)
    return replace(
        state,
        head_seq=commit.seq,
        head_hash=commit.hash,
        last_event_time=commit.time,
        idempotency_keys=state.idempotency_keys | {commit.idempotency_key},
    )


def fold_registry(commits: Iterable[Commit]) -> dict[str, Jurisdiction]:
    """The jurisdictions the registry stream holds, latest row per slug."""
    registry: dict[str, Jurisdiction] = {}
    for commit in commits:
        for _, event in decoded_events(commit):
            if isinstance(event, JurisdictionsRegistered):
                registry.update((row.slug, row) for row in event.rows)
    return registry
