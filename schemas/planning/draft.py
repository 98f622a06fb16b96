"""What every planner builds on: a draft commit, the response in force, one evaluation of it.

Shared by `review` (letters, responses, decisions) and `stages` (a staged review path), so
neither imports the other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from schemas.events.catalog import DecisionIssued, DomainEvent, RulesEvaluated
from schemas.log.commit import Commit, seal_commit
from schemas.log.state import StreamState
from schemas.program.response import Response
from schemas.rules.engine import evaluate

if TYPE_CHECKING:
    from schemas.log.keyring import Signer
    from schemas.program.definition import Program, ProgramBundle
    from schemas.program.jurisdiction import Jurisdiction
    from schemas.rules.evaluation import Evaluation

__all__ = [
    "CommitDraft",
    "decision_payloads",
    "due_for_evaluation",
    "evaluate_state",
    "response_of",
]


@dataclass(frozen=True)
class CommitDraft:
    """Events to append together, under one idempotency key."""

    idempotency_key: str
    payloads: tuple[DomainEvent, ...]
    program_sha256: str | None = None

    @property
    def canonical_by_type(self) -> bool:
        """Whether every payload is typed throughout: its sealed commit encodes unwalked."""
        return all(payload.CANONICAL_BY_TYPE for payload in self.payloads)

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


def due_for_evaluation(state: StreamState, program: Program) -> date | None:
    """The deadline an evaluation uses: None when it is the program's fixed one, as before."""
    due = state.responded_due if state.response is not None else state.due
    fixed = program.letter.response_due if program.letter is not None else None
    if program.review is None and due == fixed:
        return None
    return due
