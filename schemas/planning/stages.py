"""The stage machine of a staged review, decided purely from a stream's state and its program.

Planners in the style of `schemas.planning.review`: each returns a `CommitDraft` or None when
nothing is due, and raises `InputError` for an act that does not fit where the review
stands (exit 2, nothing written). A program without a `review:` section never reaches
this module: `schemas.planning.review.plan_decision` keeps its one-stage behaviour.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from schemas.base.canonical import canonical_json, sha256_hex
from schemas.base.errors import InputError
from schemas.events.catalog import (
    AwardActionRecorded,
    DeadlineExtended,
    DecisionDetermined,
    DecisionIssued,
    DomainEvent,
    InformationRequested,
    RulesEvaluated,
)
from schemas.log.state import Step, StreamState
from schemas.planning.draft import CommitDraft, due_for_evaluation, evaluate_state
from schemas.program.review_path import ReviewSpec, Stage
from schemas.rules.engine import day_passed, rule_set_in_force
from schemas.rules.evaluation import Evaluation, Outcome

if TYPE_CHECKING:
    from schemas.program.definition import Program, ProgramBundle
    from schemas.program.jurisdiction import Jurisdiction

__all__ = [
    "awaiting_determination",
    "check_letter_not_overdue",
    "check_not_late",
    "pending_reason",
    "plan_determination",
    "plan_extension",
    "plan_information",
    "plan_stage",
    "review_step",
    "window_closed",
]


def _digest(*parts: object) -> str:
    return sha256_hex(canonical_json([str(part) for part in parts]))[:32]


def window_closed(state: StreamState, as_of: datetime) -> bool:
    """Whether the answer window after the preliminary decision has closed at `as_of`."""
    if state.information is not None and not _passed(state.information_due, as_of):
        return False
    return state.answer_due is not None and day_passed(state.answer_due, as_of)


def _passed(day: date | None, as_of: datetime) -> bool:
    return day is not None and day_passed(day, as_of)


def awaiting_determination(state: StreamState, program: Program, as_of: datetime) -> bool:
    """Whether the stream waits for a person's final determination at `as_of`.

    A request for information whose due date passed unanswered waits no longer: the review
    stands where it stood before the request (a preliminary decision whose window closed,
    or that was answered, goes to the determining official).
    """
    review = program.review
    if review is None or review.final != "person" or state.final:
        return False
    if state.information is not None and not _passed(state.information_due, as_of):
        return False
    if _step_before_request(state) is Step.PRELIMINARY:
        return state.answered or window_closed(state, as_of)
    unanswered = state.response is None and not state.decided
    return unanswered and review.no_response == "pending" and _passed(state.due, as_of)


def _step_before_request(state: StreamState) -> Step:
    """The step without the open request for information (its answer never came)."""
    return state.step if state.information is None else replace(state, information=None).step


def review_step(state: StreamState, program: Program, as_of: datetime) -> Step:
    """The step as a person reads it at `as_of` (a closed window can await a determination)."""
    if awaiting_determination(state, program, as_of):
        return Step.AWAITING_DETERMINATION
    return state.step


def _award(review: ReviewSpec, outcome: Outcome) -> tuple[DomainEvent, ...]:
    action = review.award_actions.get(outcome.value)  # type: ignore[call-overload]  # Literal keys
    return () if action is None else (AwardActionRecorded(decision=outcome, action=action),)


def _decision(
    evaluation: Evaluation | DecisionIssued, stage: Stage, answer_due: date | None
) -> DecisionIssued:
    return DecisionIssued(
        decision_id=evaluation.decision_id,
        outcome=evaluation.outcome,
        reasons=evaluation.reasons,
        rule_set_version=evaluation.rule_set_version,
        program_sha256=evaluation.program_sha256,
        response_sha256=evaluation.response_sha256,
        as_of=evaluation.as_of,
        known_at=evaluation.known_at,
        stage=stage,
        due=evaluation.due,
        answer_due=answer_due,
        # DecisionIssued has no `late`; an Evaluation's is on its RulesEvaluated.
    )


def plan_stage(
    state: StreamState,
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    *,
    as_of: datetime,
    known_at: datetime,
) -> CommitDraft | None:
    """The next automatic step: evaluate new evidence, or close the answer window."""
    review = bundle.program.review
    if review is None or state.final:
        return None
    if state.information is not None and not _passed(state.information_due, as_of):
        return None
    evidence = state.response_sha
    if not state.decided or state.decided_response_sha != evidence:
        due = due_for_evaluation(state, bundle.program)
        evaluation = evaluate_state(
            bundle, jurisdiction, state, as_of=as_of, known_at=known_at, due=due
        )
        if evaluation.outcome is Outcome.PENDING:
            return None
        stage = Stage.PRELIMINARY if review.staged else Stage.FINAL
        answer_due = None
        if stage is Stage.PRELIMINARY:
            answer_due = state.answer_due or as_of.date() + timedelta(days=review.answer_days or 0)
        payloads: tuple[DomainEvent, ...] = (
            RulesEvaluated(decision_id=evaluation.decision_id, evaluation=evaluation),
            _decision(evaluation, stage, answer_due),
        )
        if stage is Stage.FINAL:
            payloads += _award(review, evaluation.outcome)
        return CommitDraft(f"decision:{evidence or 'no-response'}", payloads, bundle.sha256)
    closes = review.final == "automatic" and state.stage is Stage.PRELIMINARY
    if closes and state.last_decision is not None and window_closed(state, as_of):
        final = _decision(state.last_decision, Stage.FINAL, None)
        return CommitDraft("final", (final, *_award(review, final.outcome)), bundle.sha256)
    return None


def plan_determination(
    state: StreamState,
    program: Program,
    *,
    decision: Outcome,
    reason: str,
    actor: str,
    as_of: datetime,
) -> CommitDraft | None:
    """A person's final determination; the very same one again is a no-op."""
    done = state.determination
    if done is not None and (done.decision, done.reason, done.actor) == (decision, reason, actor):
        return None
    if decision is Outcome.PENDING:
        raise InputError("--decision must be eligible or ineligible")
    if not awaiting_determination(state, program, as_of):
        where = review_step(state, program, as_of).value
        raise InputError(f"{state.stream.name} is not awaiting a determination (it is at {where})")
    latest = state.last_decision
    event = DecisionDetermined(
        decision=decision,
        reason=reason,
        actor=actor,
        evaluated=None if latest is None else latest.outcome,
        evaluation_id=None if latest is None else latest.decision_id,
        as_of=as_of,
    )
    review = program.review
    award = () if review is None else _award(review, decision)
    key = f"determination:{_digest(decision.value, reason, actor)}"
    return CommitDraft(key, (event, *award))


def plan_information(
    state: StreamState,
    program: Program,
    *,
    questions: tuple[str, ...],
    due: date,
    reason: str,
    actor: str,
    as_of: datetime,
) -> CommitDraft | None:
    """A request for answers to `questions` by `due`; the same request again is a no-op."""
    unknown = sorted(set(questions) - program.question_ids())
    if unknown:
        raise InputError(f"unknown question id {unknown[0]!r} in program {program.id}")
    request_id = _digest(sorted(set(questions)), due, reason, actor)
    key = f"information:{request_id}"
    if key in state.idempotency_keys:
        return None
    if state.letter is None:
        raise InputError(f"{state.stream.name}: no letter was sent; run review first")
    if state.final:
        raise InputError(f"{state.stream.name}: the decision is final")
    if due < state.letter.letter_date or due < as_of.date():
        raise InputError(
            f"--due {due} is before the letter of {state.letter.letter_date} or the request"
        )
    event = InformationRequested(
        request_id=request_id,
        questions=tuple(sorted(set(questions))),
        due=due,
        requested_on=as_of.date(),
        reason=reason,
        actor=actor,
    )
    return CommitDraft(key, (event,))


def plan_extension(
    state: StreamState, *, until: date, reason: str, actor: str
) -> CommitDraft | None:
    """Move the deadline in force to `until`; extending to the date already in force is a no-op."""
    if state.final:
        raise InputError(f"{state.stream.name}: the decision is final; no deadline to extend")
    kind = "information" if state.information is not None else "answer"
    if state.information is None and state.answer_due is None:
        kind = "letter"
    current = state.due
    if current is None:
        raise InputError(f"{state.stream.name}: no deadline in force; run review first")
    if until == current:
        return None
    if until < current:
        raise InputError(f"--until {until} is before the deadline in force, {current}")
    event = DeadlineExtended(
        deadline=kind,  # type: ignore[arg-type]  # one of the three literals above
        previous=current,
        until=until,
        reason=reason,
        actor=actor,
    )
    return CommitDraft(f"extend:{kind}:{until}", (event,))


def check_not_late(state: StreamState, program: Program, received_at: datetime) -> None:
    """Refuse a response after the deadline in force when the program refuses late ones."""
    review = program.review
    if review is None or review.late_responses != "refuse":
        return
    due = state.due
    if due is not None and day_passed(due, received_at):
        raise InputError(
            f"{state.stream.name}: response of {received_at.date()} is after the deadline "
            f"{due} and {program.id} refuses late responses; a person may `extend` it"
        )


def check_letter_not_overdue(program: Program, letter_date: date) -> None:
    """Refuse a letter whose fixed deadline is already past on the letter's date."""
    spec = program.letter
    if spec is None or spec.response_due is None or spec.response_due >= letter_date:
        return
    raise InputError(
        f"{program.id}: the letter of {letter_date} would be overdue (response_due "
        f"{spec.response_due}); use --as-of on or before it, `extend`, or response_within_days"
    )


def pending_reason(state: StreamState, program: Program, as_of: datetime) -> str | None:  # noqa: PLR0911 - one sentence per place a review can wait
    """Where the review waits and why, in plain language (None once the decision is final)."""
    step = review_step(state, program, as_of)
    if step is Step.DECIDED and state.effective_decision is not Outcome.PENDING:
        return None
    if step is Step.AWAITING_INFORMATION:
        return f"awaiting the jurisdiction's answer to a request for information until {state.due}"
    if step is Step.AWAITING_DETERMINATION:
        if state.information is not None:
            unanswered = f"the request for information due {state.due} went unanswered"
            return f"awaiting a determination: {unanswered}"
        return "awaiting a determination"
    if step is Step.PRELIMINARY:
        return f"preliminary decision; awaiting the jurisdiction's answer until {state.due}"
    if step is Step.RESPONSE_RECEIVED and state.response is not None:
        received = state.response.received_at
        if rule_set_in_force(program, received) is None:
            return f"the response of {received.date()} predates any rule set of {program.id}"
        return "response received; awaiting evaluation"
    if step is Step.LETTER_SENT:
        return f"awaiting the jurisdiction's answer until {state.due}"
    if step is Step.NEW:
        return "no letter sent yet"
    return "; ".join(state.reasons) or "pending"
