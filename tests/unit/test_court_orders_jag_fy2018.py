"""jag-fy2018's court orders: each waives its conditions for its parties from its date."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from infra.files.programs import load_program
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import Response
from schemas.rules.engine import evaluate
from schemas.rules.evaluation import ConditionStatus, Outcome

if TYPE_CHECKING:
    from schemas.rules.evaluation import Evaluation

__all__: list[str] = []

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"
ALL = frozenset(
    {"certify-1373-1644", "no-harboring-disclosure", "access", "notice", "certify-noninterference"}
)
PLACES = {
    place.slug: place
    for place in (
        Jurisdiction(slug="chicago-il", name="Chicago, IL", state="IL", geoid="1714000"),
        Jurisdiction(slug="evanston-il", name="Evanston, IL", state="IL", geoid="1724582"),
        Jurisdiction(slug="peoria-il", name="Peoria, IL", state="IL", geoid="1759000"),
        Jurisdiction(slug="portland-or", name="Portland, OR", state="OR", geoid="4159000"),
        Jurisdiction(slug="salem-or", name="Salem, OR", state="OR", geoid="4164900"),
        Jurisdiction(
            slug="san-francisco-ca", name="San Francisco, CA", state="CA", geoid="0667000"
        ),
        Jurisdiction(slug="stockton-ca", name="Stockton, CA", state="CA", geoid="0675000"),
    )
}


def run(slug: str, day: str) -> Evaluation:
    """Evaluate a response refusing every condition on `day`, knowing all published by then."""
    bundle = load_program(PROGRAMS, "jag-fy2018")
    moment = datetime.fromisoformat(day).replace(tzinfo=UTC)
    response = Response.model_validate(
        {
            "jurisdiction": slug,
            "program": "jag-fy2018",
            "received_at": "2018-08-20T12:00:00-04:00",
            "respondent": {"name": "A. Lawyer", "title": "Corporation Counsel"},
            "answers": {
                q.id: {"answer": "no", "instrument": "policy"} for q in bundle.program.questions
            },
        }
    )
    return evaluate(
        bundle, PLACES[slug], response, response_sha256=None, as_of=moment, known_at=moment
    )


def waived_by(evaluation: Evaluation) -> dict[str, str | None]:
    """Condition id to the order or notice that waived it (None: not waived)."""
    return {result.id: result.waived_by for result in evaluation.conditions}


@pytest.mark.parametrize(
    ("order", "slug", "day", "waived"),
    [
        (
            "sf-california-v-sessions-fy2018",
            "san-francisco-ca",
            "2019-03-04",
            {"certify-1373-1644", "no-harboring-disclosure", "access", "notice"},
        ),
        ("oregon-portland-v-trump", "portland-or", "2019-08-29", ALL),
        ("chicago-v-barr-fy2018", "chicago-il", "2019-09-19", ALL),
        (
            "evanston-uscm-v-barr-sj",
            "evanston-il",
            "2019-09-26",
            {"certify-1373-1644", "access", "notice"},
        ),
    ],
)
def test_order_waives_its_conditions_from_its_date(
    order: str, slug: str, day: str, waived: set[str]
) -> None:
    """On the order's first day, for its party, exactly the conditions it covers are waived."""
    result = waived_by(run(slug, day))
    assert {cid for cid, by in result.items() if by == order} == waived


@pytest.mark.parametrize(
    ("slug", "before", "in_force"),
    [
        # San Francisco: BJA's notice already waives 41-43 and 45-47; harboring (44) is due.
        ("san-francisco-ca", "2019-03-03", {"no-harboring-disclosure"}),
        ("portland-or", "2019-08-28", ALL),
        ("chicago-il", "2019-09-18", {"no-harboring-disclosure"}),
        ("evanston-il", "2019-09-25", ALL),
    ],
)
def test_conditions_in_force_the_day_before(slug: str, before: str, in_force: set[str]) -> None:
    """The day before each order, the conditions it later waives are unmet (no waiver yet)."""
    statuses = {r.id: r.status for r in run(slug, before).conditions}
    assert {cid for cid, status in statuses.items() if status is ConditionStatus.UNMET} == in_force


@pytest.mark.parametrize(
    ("slug", "day", "in_force"),
    [
        ("stockton-ca", "2019-03-04", {"no-harboring-disclosure"}),  # a CA city, not a party
        ("salem-or", "2019-08-29", ALL),  # an Oregon city, not a party
        ("peoria-il", "2019-09-26", ALL),  # neither Chicago nor Evanston
    ],
)
def test_uncovered_jurisdiction_is_unaffected(slug: str, day: str, in_force: set[str]) -> None:
    """A jurisdiction outside every order's scope keeps its conditions (only the notice applies)."""
    evaluation = run(slug, day)
    unmet = {r.id for r in evaluation.conditions if r.status is ConditionStatus.UNMET}
    assert unmet == in_force
    assert not set(evaluation.orders_applied) & {
        "sf-california-v-sessions-fy2018",
        "oregon-portland-v-trump",
        "chicago-v-barr-fy2018",
        "evanston-uscm-v-barr-sj",
    }


def test_portland_is_eligible_under_its_judgment() -> None:
    """From 2019-08-29 the Oregon judgment waives every FY2018 condition Portland refused."""
    evaluation = run("portland-or", "2019-08-29")
    assert evaluation.outcome is Outcome.ELIGIBLE
    assert evaluation.orders_applied == ("oregon-portland-v-trump",)


def test_chicago_order_is_named_before_the_notice() -> None:
    """Chicago, 2019-09-19: the court order, listed before notices, is named for all five."""
    evaluation = run("chicago-il", "2019-09-19")
    assert evaluation.outcome is Outcome.ELIGIBLE
    assert evaluation.orders_applied == ("chicago-v-barr-fy2018",)
