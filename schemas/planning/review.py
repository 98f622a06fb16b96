"""What a review does next, decided purely from a stream's state: the functional core.

Each planner returns a `CommitDraft` (or None when nothing is due). Idempotency
keys name the logical step, so a retried or concurrent writer that re-plans the
same step produces the same key and the log keeps one copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from schemas.base.canonical import sha256_hex
from schemas.events.catalog import (
    DecisionIssued,
    DomainEvent,
    LetterQueued,
    LetterSent,
    ResponseAmended,
    ResponseReceived,
    RulesEvaluated,
)
from schemas.log.commit import Commit, seal_commit
from schemas.log.state import StreamState
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import Response
from schemas.rules.engine import evaluate
from schemas.rules.evaluation import Evaluation, Outcome

if TYPE_CHECKING:
    from schemas.log.keyring import Signer

__all__ = [
    "CommitDraft",
    "decision_payloads",
    "delivery_id",
    "evaluate_state",
    "plan_decision",
    "plan_letter",
    "plan_letter_queued",
    "plan_response",
    "response_of",
]


@dataclass(frozen=True)
class CommitDraft:
    """Events to append together, under one idempotency key."""

    idempotency_key: str
    payloads: tuple[DomainEvent, ...]
    program_sha256: str | None = None

    def seal_on(
        self,
        state: StreamState,
        *,
        time: datetime,
        actor: str,
        flow_run_id: str | None,
        signer: Signer | None,
    ) -> Commit:
        """This draft sealed as the commit after `state`'s head, signed by `signer` if any."""
        return seal_commit(
            stream=state.stream,
            seq=state.head_seq + 1,
            prev=state.head_hash,
            idempotency_key=self.idempotency_key,
            payloads=self.payloads,
            time=time,
            actor=actor,
            flow_run_id=flow_run_id,
            program_sha256=self.program_sha256,
            signer=signer,
        )


def plan_letter(state: StreamState, letter: LetterSent) -> CommitDraft | None:
    """One letter per stream (a stream is one program cycle x one jurisdiction)."""
    if state.letter is not None:
        return None
    return CommitDraft("letter", (letter,))


def delivery_id(state: StreamState, kind: str, domain: str) -> str:
    """The Message-ID a stream's `kind` of mail ("letter", "reminder") always goes out under.

    Derived only from the stream (one program cycle x one jurisdiction) and the kind, so
    every attempt to deliver the same mail carries the same id and receivers can dedupe.
    """
    digest = sha256_hex(f"{state.stream.name}|{kind}".encode())[:32]
    return f"<{kind}.{digest}@{domain}>"


def plan_letter_queued(state: StreamState, queued: LetterQueued) -> CommitDraft | None:
    """Pin the letter in the outbox once per stream, before it is mailed."""
    if state.letter is not None or state.letter_queued is not None:
        return None
    return CommitDraft("letter-queued", (queued,))


def plan_response(
    state: StreamState, response: Response, response_sha256: str
) -> CommitDraft | None:
    """Record a response; an identical one is a no-op, a different one an amendment."""
    if response_sha256 in state.response_shas:
        return None
    payload: ResponseReceived
    if state.response is None:
        payload = ResponseReceived(
            response_sha256=response_sha256,
            received_at=response.received_at,
            respondent=response.respondent,
            answers=response.answers,
        )
    else:
        payload = ResponseAmended(
            response_sha256=response_sha256,
            received_at=response.received_at,
            respondent=response.respondent,
            answers=response.answers,
            supersedes_sha256=state.response.response_sha256,
        )
    return CommitDraft(f"response:{response_sha256}", (payload,))


def response_of(state: StreamState) -> Response | None:
    """The response in force, rebuilt from its recorded event."""
    if state.response is None:
        return None
    program, _, jurisdiction = state.stream.name.partition("/")
    return Response(
        jurisdiction=jurisdiction,
        program=program,
        received_at=state.response.received_at,
        respondent=state.response.respondent,
        answers=state.response.answers,
    )


def evaluate_state(
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    state: StreamState,
    *,
    as_of: datetime,
    known_at: datetime,
    due: date | None = None,
) -> Evaluation:
    """Evaluate the stream's response in force (or its absence): one call for every caller.

    Deciding, reevaluating and `explain` must evaluate the same evidence the same way.
    `due` is the stream's deadline in force when the review path sets one.
    """
    return evaluate(
        bundle,
        jurisdiction,
        response_of(state),
        response_sha256=state.response_sha,
        as_of=as_of,
        known_at=known_at,
        due=due,
    )


def decision_payloads(evaluation: Evaluation) -> tuple[RulesEvaluated, DecisionIssued]:
    """The evaluation and the decision that follows from it, sharing one decision id."""
    decision_id = evaluation.decision_id
    return (
        RulesEvaluated(decision_id=decision_id, evaluation=evaluation),
        DecisionIssued(
            decision_id=decision_id,
            outcome=evaluation.outcome,
            reasons=evaluation.reasons,
            rule_set_version=evaluation.rule_set_version,
            program_sha256=evaluation.program_sha256,
            response_sha256=evaluation.response_sha256,
            as_of=evaluation.as_of,
            known_at=evaluation.known_at,
        ),
    )


def plan_decision(
    state: StreamState,
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    *,
    as_of: datetime,
    known_at: datetime,
) -> CommitDraft | None:
    """Evaluate and decide once per piece of evidence (a response, or none past the deadline).

    A program with a `review:` section follows its review path (schemas/planning/stages.py).
    """
    if bundle.program.review is not None:
        from schemas.planning.stages import plan_stage  # noqa: PLC0415 - stages builds on this module

        return plan_stage(state, bundle, jurisdiction, as_of=as_of, known_at=known_at)
    evidence = state.response_sha
    if state.decided and state.decided_response_sha == evidence:
        return None
    from schemas.planning.stages import due_for_evaluation  # noqa: PLC0415 - stages builds on this module

    due = due_for_evaluation(state, bundle.program)
    evaluation = evaluate_state(
        bundle, jurisdiction, state, as_of=as_of, known_at=known_at, due=due
    )
    if evaluation.outcome is Outcome.PENDING:
        return None
    return CommitDraft(
        f"decision:{evidence or 'no-response'}", decision_payloads(evaluation), bundle.sha256
    )
