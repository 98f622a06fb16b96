"""Evaluating a program's rule set for one jurisdiction's response: pure and deterministic.

No clock and no I/O: `as_of` (which rules, orders and deadlines are in force) and
`known_at` (which orders the office knew of) are passed in. Program dates mean
00:00 UTC of that day; intervals are [from, until); `response_due` is inclusive.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from schemas.base.errors import InputError
from schemas.rules._condition import RuleEvaluationError, condition_context, condition_result
from schemas.rules.evaluation import ConditionResult, ConditionStatus, Evaluation, Fact, Outcome
from schemas.rules.footing import footing
from schemas.rules.waivers import in_force, start_of, waivers_in_force

if TYPE_CHECKING:
    from schemas.program.definition import Program, ProgramBundle, RuleSet
    from schemas.program.jurisdiction import Jurisdiction
    from schemas.program.response import Response

__all__ = [
    "RuleEvaluationError",
    "day_passed",
    "deadline_passed",
    "evaluate",
    "rule_set_in_force",
]

_BLOCKING = frozenset({ConditionStatus.UNMET, ConditionStatus.UNANSWERED})


def rule_set_in_force(program: Program, as_of: datetime) -> RuleSet | None:
    """The rule set version in force at `as_of`, or None (versions never overlap)."""
    for rule_set in program.rule_sets:
        if in_force(rule_set.effective_from, rule_set.effective_until, as_of):
            return rule_set
    return None


def day_passed(day: date, moment: datetime) -> bool:
    """Whether `day` (a deadline, inclusive) has passed at `moment`."""
    return moment >= start_of(day + timedelta(days=1))


def deadline_passed(program: Program, as_of: datetime, due: date | None = None) -> bool:
    """Whether the response deadline (inclusive) has passed at `as_of`.

    `due` is the deadline in force for one stream (a relative or extended one); without
    it, the program's fixed `response_due`.
    """
    if due is None:
        due = program.letter.response_due if program.letter else None
    return due is not None and day_passed(due, as_of)


def _decide(
    program: Program,
    rule_set: RuleSet,
    response: Response | None,
    results: tuple[ConditionResult, ...],
    as_of: datetime,
    *,
    due: date | None,
) -> tuple[Outcome, tuple[str, ...]]:
    if response is None:
        shown = due or (program.letter.response_due if program.letter else None)
        if deadline_passed(program, as_of, due):
            if program.review is not None and program.review.no_response == "pending":
                return Outcome.PENDING, (f"no response by {shown}; left to a person",)
            return Outcome.INELIGIBLE, (f"no response by {shown}",)
        return Outcome.PENDING, (f"no response yet; due {shown}" if shown else "no response yet",)
    blocking = tuple(r.reason for r in results if r.status in _BLOCKING)
    if blocking:
        return Outcome.INELIGIBLE, blocking
    # Interned: jurisdictions under the same rules share these strings, not one copy each.
    summary = sys.intern(
        f"every condition in force under rule set version {rule_set.version} is met"
    )
    others = (sys.intern(f"{r.id}: {r.reason}") for r in results if r.status != ConditionStatus.MET)
    return Outcome.ELIGIBLE, (summary, *others)


def evaluate(
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    response: Response | None,
    *,
    response_sha256: str | None,
    as_of: datetime,
    known_at: datetime,
    due: date | None = None,
) -> Evaluation:
    """Evaluate the rule set in force at `as_of`, with the orders known at `known_at`.

    `due` is the stream's deadline in force when the review path sets one (a relative,
    extended or answer-window deadline); None means the program's fixed `response_due`.
    """
    for name, moment in (("as_of", as_of), ("known_at", known_at)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InputError(f"{name} must be a timezone-aware datetime")
    program = bundle.program
    if response is not None:
        response.check_against(
            program=program.id,
            jurisdiction=jurisdiction.slug,
            question_ids=set(program.question_ids()),
        )
    rule_set = rule_set_in_force(program, as_of)
    results: tuple[ConditionResult, ...] = ()
    applied: tuple[str, ...] = ()
    facts: tuple[Fact, ...] = ()
    if rule_set is None:
        outcome = Outcome.PENDING
        reasons: tuple[str, ...] = (
            f"no rule set of {program.id} is in force on {as_of.astimezone(UTC).date()}",
        )
    else:
        waivers = waivers_in_force(program, jurisdiction, as_of, known_at)
        context = condition_context(rule_set, jurisdiction, response, as_of)
        results = tuple(
            condition_result(
                condition,
                jurisdiction,
                response,
                waivers,
                context,
                f"program {program.id}, rule set version {rule_set.version}, "
                f"condition {condition.id}, jurisdiction {jurisdiction.slug}",
            )
            for condition in rule_set.conditions
        )
        used = {r.waived_by for r in results}
        applied = tuple(waiver.id for waiver in waivers if waiver.id in used)
        facts = footing(program, rule_set, jurisdiction, applied=applied)
        outcome, reasons = _decide(program, rule_set, response, results, as_of, due=due)
    return Evaluation(
        program=program.id,
        jurisdiction=jurisdiction.slug,
        outcome=outcome,
        reasons=reasons,
        rule_set_version=rule_set.version if rule_set else None,
        program_sha256=bundle.sha256,
        response_sha256=response_sha256,
        as_of=as_of,
        known_at=known_at,
        conditions=results,
        orders_applied=applied,
        due=due,
        late=_late(program, response, due),
        footing=facts,
    )


def _late(program: Program, response: Response | None, due: date | None) -> bool:
    """A response after the deadline in force, when the program flags late responses."""
    if response is None or due is None or program.review is None:
        return False
    return program.review.late_responses == "flag" and day_passed(due, response.received_at)
