"""What a review does next, decided purely from a stream's state: the functional core.

Each planner returns a `CommitDraft` (or None when nothing is due). Idempotency
keys name the logical step, so a retried or concurrent writer that re-plans the
same step produces the same key and the log keeps one copy.
"""

from __future__ import annotations

from datetime import datetime

from schemas.base.canonical import sha256_hex
from schemas.events.catalog import (
    LetterQueued,
    LetterSent,
    ResponseAmended,
    ResponseReceived,
)
from schemas.log.state import StreamState
from schemas.planning.draft import (
    CommitDraft,
    decision_payloads,
    due_for_evaluation,
    evaluate_state,
)
from schemas.planning.stages import plan_stage
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import Response
from schemas.rules.evaluation import Outcome

__all__ = [
    "delivery_id",
    "plan_decision",
    "plan_letter",
    "plan_letter_queued",
    "plan_response",
]


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
        return plan_stage(state, bundle, jurisdiction, as_of=as_of, known_at=known_at)
    evidence = state.response_sha
    if state.decided and state.decided_response_sha == evidence:
        return None
    due = due_for_evaluation(state, bundle.program)
    evaluation = evaluate_state(
        bundle, jurisdiction, state, as_of=as_of, known_at=known_at, due=due
    )
    if evaluation.outcome is Outcome.PENDING:
        return None
    return CommitDraft(
        f"decision:{evidence or 'no-response'}", decision_payloads(evaluation), bundle.sha256
    )
