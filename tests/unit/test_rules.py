"""Evaluation: every condition status, scope kind, date boundary and the `known_at` axis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from schemas.base.errors import InputError
from schemas.program.definition import ProgramBundle, parse_program
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import Response, ResponseError
from schemas.rules.engine import RuleEvaluationError, deadline_passed, evaluate, rule_set_in_force
from schemas.rules.evaluation import ConditionStatus, Evaluation, Outcome

LATE = datetime(2030, 1, 1, tzinfo=UTC)


def condition(cid: str, question: str, met_when: str, **extra: str) -> dict[str, Any]:
    """One condition over one question."""
    return {
        "id": cid,
        "title": cid.title(),
        "source": f"clause {cid}",
        "questions": [question],
        "met_when": met_when,
        "reason_unmet": "the program requires 'yes'",
        **extra,
    }


def order(oid: str, waives: str, scope: object, start: str, **extra: str) -> dict[str, Any]:
    """One court order (or, without court and case, a notice)."""
    return {
        "id": oid,
        "title": f"Order {oid}",
        "court": "D. Test",
        "case": "17-cv-1",
        "issued": start,
        "effective_from": start,
        "waives": [waives],
        "scope": scope,
        **extra,
    }


def notice(oid: str, waives: str, scope: object, start: str) -> dict[str, Any]:
    """One non-enforcement notice."""
    data = order(oid, waives, scope, start)
    del data["court"], data["case"]
    return data


def demo_bundle(**changes: Any) -> ProgramBundle:  # noqa: ANN401 - any program key
    """Two rule-set versions, three orders of each scope kind and one notice."""
    yes = 'answers.q1.answer == "yes"'
    data: dict[str, Any] = {
        "id": "demo",
        "title": "Demo",
        "kind": "selection",
        "sources": ["test"],
        "letter": {"response_due": "2017-08-18"},
        "questions": [{"id": q, "text": f"{q}?", "source": q} for q in ("q1", "q2")],
        "rule_sets": [
            {
                "version": 1,
                "effective_from": "2017-01-01",
                "effective_until": "2018-01-01",
                "conditions": [
                    condition("first", "q1", yes),
                    condition(
                        "access",
                        "q2",
                        'answers.q2.answer == "yes"',
                        applies_when='jurisdiction.state != "PR"',
                    ),
                ],
            },
            {
                "version": 2,
                "effective_from": "2018-01-01",
                "conditions": [condition("first", "q1", 'answers.q1.answer in ["yes", "partial"]')],
            },
        ],
        "court_orders": [
            order(
                "national",
                "access",
                "nationwide",
                "2017-06-01",
                effective_until="2017-09-01",
                known_at="2017-06-10",
            ),
            order("state", "first", {"states": ["CA"]}, "2017-03-01", effective_until="2017-04-01"),
            order("city", "first", {"jurisdictions": ["demo-city"]}, "2017-05-01"),
        ],
        "notices": [notice("notice", "access", {"states": ["NY"]}, "2017-10-01")],
    }
    data.update(changes)
    return ProgramBundle(program=parse_program(data, source="demo.yaml"))


BUNDLE = demo_bundle()
PLACES = {
    "other": Jurisdiction(slug="other-tx", name="Other, TX", state="TX", geoid="4800001"),
    "city": Jurisdiction(slug="demo-city", name="Demo City, TX", state="TX", geoid="4800002"),
    "ca": Jurisdiction(slug="somewhere-ca", name="Somewhere, CA", state="CA", geoid="0600001"),
    "ny": Jurisdiction(slug="somewhere-ny", name="Somewhere, NY", state="NY", geoid="3600001"),
    "pr": Jurisdiction(slug="somewhere-pr", name="Somewhere, PR", state="PR", geoid="7200001"),
}


def at(day: str) -> datetime:
    """00:00 UTC of an ISO date."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def response(place: str, **answers: str) -> Response:
    """A response from `place` with the given answer values."""
    return Response.model_validate(
        {
            "jurisdiction": PLACES[place].slug,
            "program": "demo",
            "received_at": "2017-08-01T12:00:00Z",
            "respondent": {"name": "A. Person", "title": "Chief"},
            "answers": {q: {"answer": value} for q, value in answers.items()},
        }
    )


def run(
    place: str,
    as_of: str,
    *,
    known_at: datetime = LATE,
    bundle: ProgramBundle = BUNDLE,
    **answers: str,
) -> Evaluation:
    """Evaluate `answers` from `place` as of a date (no response if no answers given)."""
    given = response(place, **answers) if answers else None
    return evaluate(
        bundle,
        PLACES[place],
        given,
        response_sha256="ab" * 32 if given else None,
        as_of=at(as_of),
        known_at=known_at,
    )


def statuses(evaluation: Evaluation) -> dict[str, ConditionStatus]:
    """Condition id to status."""
    return {result.id: result.status for result in evaluation.conditions}


def test_met_and_eligible() -> None:
    """Every condition met gives eligible, with the rule set version and hashes recorded."""
    result = run("other", "2017-05-15", q1="yes", q2="yes")
    assert statuses(result) == {"first": "met", "access": "met"}
    assert result.outcome is Outcome.ELIGIBLE
    assert result.reasons == ("every condition in force under rule set version 1 is met",)
    assert result.rule_set_version == 1
    assert result.program_sha256 == BUNDLE.sha256
    assert result.response_sha256 == "ab" * 32
    assert result.conditions[0].reason == "q1: answered 'yes'"


def test_unmet_names_the_question_and_answer() -> None:
    """An unmet condition is ineligible, with a reason a lawyer can read."""
    result = run("other", "2017-05-15", q1="not_applicable", q2="yes")
    assert statuses(result) == {"first": "unmet", "access": "met"}
    assert result.outcome is Outcome.INELIGIBLE
    assert result.reasons == ("q1: answered 'not_applicable'; the program requires 'yes'",)


def test_unanswered_question() -> None:
    """A question left out makes its condition unanswered and the result ineligible."""
    result = run("other", "2017-05-15", q1="yes")
    assert statuses(result) == {"first": "met", "access": "unanswered"}
    assert result.outcome is Outcome.INELIGIBLE
    assert result.reasons == ("q2: not answered",)


def test_not_applicable() -> None:
    """A false applies_when makes the condition not_applicable, which does not block eligibility."""
    result = run("pr", "2017-08-10", q1="yes")
    assert statuses(result) == {"first": "met", "access": "not_applicable"}
    assert result.outcome is Outcome.ELIGIBLE
    assert result.reasons[1] == (
        'access: does not apply to Somewhere, PR (jurisdiction.state != "PR" is false)'
    )


def test_waived_names_the_order() -> None:
    """A waived condition names the order, and the order is listed as applied."""
    result = run("other", "2017-08-10", q1="yes", q2="no")
    waived = result.conditions[1]
    assert waived.status is ConditionStatus.WAIVED
    assert waived.waived_by == "national"
    assert waived.reason == (
        "waived by court order national (Order national, D. Test 17-cv-1), "
        "in force from 2017-06-01 until 2017-09-01, nationwide"
    )
    assert result.outcome is Outcome.ELIGIBLE
    assert result.orders_applied == ("national",)


@pytest.mark.parametrize(
    ("place", "as_of", "waived_by"),
    [
        ("ca", "2017-03-15", "state"),
        ("other", "2017-03-15", None),
        ("city", "2017-05-15", "city"),
        ("other", "2017-05-15", None),
    ],
)
def test_scope_states_and_jurisdictions(place: str, as_of: str, waived_by: str | None) -> None:
    """State scopes reach only that state; jurisdiction scopes only the listed slug."""
    result = run(place, as_of, q1="no", q2="yes")
    assert result.conditions[0].waived_by == waived_by


@pytest.mark.parametrize(("place", "waived"), [("ny", True), ("other", False)])
def test_notice_scope(place: str, waived: bool) -> None:
    """A non-enforcement notice waives within its scope and says it is a notice."""
    result = run(place, "2017-10-15", q1="yes", q2="no")
    assert (result.conditions[1].status is ConditionStatus.WAIVED) is waived
    if waived:
        assert result.conditions[1].reason.startswith("waived by non-enforcement notice notice")


@pytest.mark.parametrize(
    ("as_of", "version"),
    [
        ("2016-12-31", None),
        ("2017-01-01", 1),
        ("2017-01-02", 1),
        ("2017-12-31", 1),
        ("2018-01-01", 2),
        ("2018-01-02", 2),
    ],
)
def test_rule_set_boundaries(as_of: str, version: int | None) -> None:
    """Rule sets are in force on [from, until): the day before, of and after each boundary."""
    rule_set = rule_set_in_force(BUNDLE.program, at(as_of))
    assert (rule_set.version if rule_set else None) == version
    assert run("other", as_of, q1="partial", q2="yes").rule_set_version == version


def test_version_switch_changes_the_result() -> None:
    """The same answer is unmet under version 1 and met under version 2."""
    assert run("other", "2017-12-31", q1="partial", q2="yes").outcome is Outcome.INELIGIBLE
    assert run("other", "2018-01-01", q1="partial", q2="yes").outcome is Outcome.ELIGIBLE


def test_no_rule_set_in_force_is_pending() -> None:
    """Before the first rule set, the outcome is pending with no conditions."""
    result = run("other", "2016-12-31", q1="yes")
    assert result.outcome is Outcome.PENDING
    assert result.conditions == ()
    assert result.reasons == ("no rule set of demo is in force on 2016-12-31",)


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        ("2017-05-31", "unmet"),
        ("2017-06-01", "waived"),
        ("2017-06-02", "waived"),
        ("2017-08-31", "waived"),
        ("2017-09-01", "unmet"),
        ("2017-09-02", "unmet"),
    ],
)
def test_order_boundaries(as_of: str, status: str) -> None:
    """Orders are in force on [effective_from, effective_until)."""
    assert run("other", as_of, q1="yes", q2="no").conditions[1].status == status


@pytest.mark.parametrize(
    ("known_at", "status"),
    [
        (at("2017-06-09"), "unmet"),
        (at("2017-06-10") - timedelta(seconds=1), "unmet"),
        (at("2017-06-10"), "waived"),
        (at("2017-06-11"), "waived"),
    ],
)
def test_known_at_hides_an_order_not_yet_known(known_at: datetime, status: str) -> None:
    """An order in force but not yet known to the office does not waive anything."""
    result = run("other", "2017-07-01", known_at=known_at, q1="yes", q2="no")
    assert result.conditions[1].status == status
    assert result.orders_applied == (("national",) if status == "waived" else ())


@pytest.mark.parametrize(
    ("as_of", "outcome"),
    [
        (at("2017-08-17"), Outcome.PENDING),
        (at("2017-08-18"), Outcome.PENDING),
        (at("2017-08-19") - timedelta(seconds=1), Outcome.PENDING),
        (at("2017-08-19"), Outcome.INELIGIBLE),
        (datetime(2017, 8, 18, 20, tzinfo=timezone(timedelta(hours=-5))), Outcome.INELIGIBLE),
    ],
)
def test_deadline_boundaries(as_of: datetime, outcome: Outcome) -> None:
    """With no response, the outcome is pending through the due date and ineligible after it."""
    result = evaluate(
        BUNDLE, PLACES["other"], None, response_sha256=None, as_of=as_of, known_at=LATE
    )
    assert result.outcome is outcome
    assert deadline_passed(BUNDLE.program, as_of) is (outcome is Outcome.INELIGIBLE)
    expected = (
        "no response by 2017-08-18"
        if outcome is Outcome.INELIGIBLE
        else ("no response yet; due 2017-08-18")
    )
    assert result.reasons == (expected,)
    assert statuses(result)["first"] == "unanswered"


def test_no_letter_means_no_deadline() -> None:
    """A program without a letter never turns a missing response into ineligible."""
    bundle = demo_bundle(letter=None)
    result = evaluate(
        bundle, PLACES["other"], None, response_sha256=None, as_of=at("2017-12-01"), known_at=LATE
    )
    assert result.outcome is Outcome.PENDING
    assert result.reasons == ("no response yet",)


def test_runtime_cel_error_is_a_rule_evaluation_error() -> None:
    """A met_when that fails at runtime raises a clear RuleEvaluationError, not a KeyError."""
    rule_sets = [
        {
            "version": 1,
            "effective_from": "2017-01-01",
            "conditions": [condition("first", "q1", "answers.q1.citation.size() > 0")],
        }
    ]
    bundle = demo_bundle(rule_sets=rule_sets, court_orders=[], notices=[])
    with pytest.raises(
        RuleEvaluationError, match=r"condition first, jurisdiction other-tx: met_when"
    ):
        run("other", "2017-08-10", bundle=bundle, q1="yes")


def test_non_boolean_result_is_refused() -> None:
    """A met_when that gives a string, not a boolean, is a RuleEvaluationError."""
    rule_sets = [
        {
            "version": 1,
            "effective_from": "2017-01-01",
            "conditions": [condition("first", "q1", "answers.q1.answer")],
        }
    ]
    bundle = demo_bundle(rule_sets=rule_sets, court_orders=[], notices=[])
    with pytest.raises(RuleEvaluationError, match="met_when gave 'yes', not true or false"):
        run("other", "2017-08-10", bundle=bundle, q1="yes")


def test_naive_datetimes_are_refused() -> None:
    """as_of and known_at must be timezone-aware."""
    with pytest.raises(InputError, match="as_of must be a timezone-aware datetime"):
        evaluate(
            BUNDLE,
            PLACES["other"],
            None,
            response_sha256=None,
            as_of=datetime(2017, 8, 1),  # noqa: DTZ001 - a naive datetime is the point
            known_at=LATE,
        )


def test_response_for_another_jurisdiction_is_refused() -> None:
    """A response filed by another jurisdiction cannot be evaluated for this one."""
    with pytest.raises(ResponseError, match="not 'other-tx'"):
        evaluate(
            BUNDLE,
            PLACES["other"],
            response("ca", q1="yes"),
            response_sha256=None,
            as_of=at("2017-08-10"),
            known_at=LATE,
        )


def test_same_inputs_same_decision_id() -> None:
    """Evaluating twice gives equal evaluations and the same decision id."""
    first = run("other", "2017-08-10", q1="no", q2="no")
    again = run("other", "2017-08-10", q1="no", q2="no")
    assert first == again
    assert first.decision_id == again.decision_id
