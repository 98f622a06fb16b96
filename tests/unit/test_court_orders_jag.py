"""The shipped JAG programs' court orders and notices, checked against dated facts they cite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from infra.files.programs import check_programs, load_program
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import Response
from schemas.rules.engine import evaluate
from schemas.rules.evaluation import ConditionStatus, Outcome

if TYPE_CHECKING:
    from schemas.program.definition import ProgramBundle
    from schemas.rules.evaluation import Evaluation

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"
PLACES = {
    "evanston-il": Jurisdiction(
        slug="evanston-il", name="Evanston, IL", state="IL", geoid="1724582"
    ),
    "chicago-il": Jurisdiction(slug="chicago-il", name="Chicago, IL", state="IL", geoid="1714000"),
    "peoria-il": Jurisdiction(slug="peoria-il", name="Peoria, IL", state="IL", geoid="1759000"),
    "philadelphia-pa": Jurisdiction(
        slug="philadelphia-pa", name="Philadelphia, PA", state="PA", geoid="4260000"
    ),
    "stockton-ca": Jurisdiction(
        slug="stockton-ca", name="Stockton, CA", state="CA", geoid="0675000"
    ),
    "albuquerque-nm": Jurisdiction(
        slug="albuquerque-nm", name="Albuquerque, NM", state="NM", geoid="3502000"
    ),
}


def at(day: str) -> datetime:
    """00:00 UTC of an ISO date."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def refusing(bundle: ProgramBundle, slug: str) -> Response:
    """A response answering "no" to every question of the program."""
    program = bundle.program
    return Response.model_validate(
        {
            "jurisdiction": slug,
            "program": program.id,
            "received_at": "2017-09-01T12:00:00-04:00",
            "respondent": {"name": "A. Lawyer", "title": "Corporation Counsel"},
            "answers": {q.id: {"answer": "no", "instrument": "policy"} for q in program.questions},
        }
    )


def run(program_id: str, slug: str, day: str) -> Evaluation:
    """Evaluate a refusing response on `day`, knowing everything published by then."""
    bundle = load_program(PROGRAMS, program_id)
    return evaluate(
        bundle,
        PLACES[slug],
        refusing(bundle, slug),
        response_sha256=None,
        as_of=at(day),
        known_at=at(day),
    )


def statuses(evaluation: Evaluation) -> dict[str, ConditionStatus]:
    """Condition id to status."""
    return {result.id: result.status for result in evaluation.conditions}


def test_every_shipped_program_loads() -> None:
    """Every folder under programs/ passes the loader's checks with today's schema."""
    loaded = {bundle.program.id for bundle in check_programs(PROGRAMS)}
    assert {"psp-2017", "jag-fy2017", "jag-fy2018"} <= loaded


def test_evanston_order_covers_the_1373_condition() -> None:
    """The 2018-08-09 Evanston order enjoined all three FY2017 conditions, 1373 included."""
    result = run("jag-fy2017", "evanston-il", "2018-08-09")
    assert result.outcome is Outcome.ELIGIBLE
    assert {r.waived_by for r in result.conditions} == {"uscm-evanston-pi"}


def test_evanston_before_its_order() -> None:
    """The day before its order Evanston (outside Chicago, after 2018-06-26) had no waiver."""
    result = run("jag-fy2017", "evanston-il", "2018-08-08")
    assert set(statuses(result).values()) == {ConditionStatus.UNMET}


def test_nationwide_reach_ended_on_2018_06_26_not_06_04() -> None:
    """The en banc grant (06-04) left the nationwide reach; the stay of 06-26 ended it."""
    june_25 = statuses(run("jag-fy2017", "albuquerque-nm", "2018-06-25"))
    assert june_25 == {"certify-1373": "unmet", "access": "waived", "notice": "waived"}
    june_26 = statuses(run("jag-fy2017", "albuquerque-nm", "2018-06-26"))
    assert set(june_26.values()) == {ConditionStatus.UNMET}


def test_philadelphia_preliminary_injunction_covers_its_certification() -> None:
    """From 2017-11-15 Philadelphia's 1373 certification cannot be a ground to withhold."""
    result = run("jag-fy2017", "philadelphia-pa", "2017-11-15")
    assert statuses(result)["certify-1373"] is ConditionStatus.WAIVED
    assert result.conditions[0].waived_by == "philadelphia-v-sessions-pi"


@pytest.mark.parametrize("day", ["2018-10-05", "2019-03-01"])
def test_california_is_exempt_from_the_judgment(day: str) -> None:
    """California and its subdivisions: the judgment (and BJA's notice) waive all three."""
    result = run("jag-fy2017", "stockton-ca", day)
    assert result.outcome is Outcome.ELIGIBLE
    assert result.orders_applied == ("sf-california-v-sessions",)


def test_fy2018_has_its_own_conditions() -> None:
    """FY2018 adds 8 U.S.C. 1644, the harboring condition and a second certification."""
    program = load_program(PROGRAMS, "jag-fy2018").program
    assert [c.id for c in program.rule_sets[0].conditions] == [
        "certify-1373-1644",
        "no-harboring-disclosure",
        "access",
        "notice",
        "certify-noninterference",
    ]
    assert program.letter is not None
    assert str(program.letter.response_due) == "2018-08-22"


def test_fy2018_notice_leaves_condition_44_in_force() -> None:
    """BJA's notice waives 41-43 and 45-47 for Chicago; the harboring condition (44) stays."""
    result = run("jag-fy2018", "chicago-il", "2018-10-01")
    assert result.outcome is Outcome.INELIGIBLE
    waived = {cid for cid, status in statuses(result).items() if status is ConditionStatus.WAIVED}
    assert waived == {"certify-1373-1644", "access", "notice", "certify-noninterference"}
    assert statuses(result)["no-harboring-disclosure"] is ConditionStatus.UNMET
    assert result.orders_applied == ("bja-fy2018-41-43-45-47",)


@pytest.mark.parametrize(("slug", "waived"), [("stockton-ca", True), ("peoria-il", False)])
def test_fy2018_notice_scope(slug: str, *, waived: bool) -> None:
    """California's subdivisions are covered; an Illinois city is not (the State itself is)."""
    result = statuses(run("jag-fy2018", slug, "2018-10-01"))
    assert (result["certify-1373-1644"] is ConditionStatus.WAIVED) is waived


def test_fy2018_before_the_notice() -> None:
    """Before the first FY2018 awards no notice was in force, even for Chicago."""
    result = statuses(run("jag-fy2018", "chicago-il", "2018-09-30"))
    assert set(result.values()) == {ConditionStatus.UNMET}


def test_fy2017_orders_do_not_reach_fy2018() -> None:
    """Evanston's FY2017 injunction (2018-08-09) waives nothing in FY2018 before its own order."""
    fy2017 = {order.id for order in load_program(PROGRAMS, "jag-fy2017").program.court_orders}
    fy2018 = {order.id for order in load_program(PROGRAMS, "jag-fy2018").program.court_orders}
    assert not fy2017 & fy2018
    result = statuses(run("jag-fy2018", "evanston-il", "2019-09-25"))
    assert set(result.values()) == {ConditionStatus.UNMET}
