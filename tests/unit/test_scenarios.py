"""Scenarios from domain.md's documented facts, run against the shipped programs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.files.programs import load_program
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import Response, parse_response
from schemas.rules.engine import evaluate
from schemas.rules.evaluation import ConditionStatus, Evaluation, Outcome

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"
PSP = load_program(PROGRAMS, "psp-2017")
JAG = load_program(PROGRAMS, "jag-fy2017")
CITIES = {
    "albuquerque-nm": Jurisdiction(
        slug="albuquerque-nm", name="Albuquerque, NM", state="NM", geoid="3502000"
    ),
    "baltimore-md": Jurisdiction(
        slug="baltimore-md", name="Baltimore, MD", state="MD", geoid="2404000"
    ),
    "san-bernardino-ca": Jurisdiction(
        slug="san-bernardino-ca", name="San Bernardino, CA", state="CA", geoid="0665000"
    ),
    "stockton-ca": Jurisdiction(
        slug="stockton-ca", name="Stockton, CA", state="CA", geoid="0675000"
    ),
    "chicago-il": Jurisdiction(slug="chicago-il", name="Chicago, IL", state="IL", geoid="1714000"),
    "philadelphia-pa": Jurisdiction(
        slug="philadelphia-pa", name="Philadelphia, PA", state="PA", geoid="4260000"
    ),
}
# The questions each city answered other than "yes", per the example files.
PSP_UNMET = {
    "albuquerque-nm": ["detention_access", "release_notice", "detainer_hold"],
    "baltimore-md": ["detention_access", "detainer_hold"],
    "san-bernardino-ca": ["detention_access", "release_notice", "detainer_hold"],
    "stockton-ca": ["detention_access", "release_notice", "detainer_hold"],
}


def at(day: str) -> datetime:
    """00:00 UTC of an ISO date."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def jag(slug: str, as_of: str, *, known_at: str | None = None, certify: str = "yes") -> Evaluation:
    """A JAG FY2017 response certifying 1373 (or not) and refusing access and notice."""
    answer = Response.model_validate(
        {
            "jurisdiction": slug,
            "program": "jag-fy2017",
            "received_at": "2017-09-01T12:00:00-04:00",
            "respondent": {"name": "A. Lawyer", "title": "Corporation Counsel"},
            "answers": {
                "section_1373": {"answer": certify, "instrument": "statute"},
                "facility_access": {"answer": "no", "instrument": "policy"},
                "release_notice": {"answer": "no", "instrument": "policy"},
            },
        }
    )
    return evaluate(
        JAG,
        CITIES[slug],
        answer,
        response_sha256=None,
        as_of=at(as_of),
        known_at=at(known_at or as_of),
    )


def statuses(evaluation: Evaluation) -> dict[str, ConditionStatus]:
    """Condition id to status."""
    return {result.id: result.status for result in evaluation.conditions}


@pytest.mark.parametrize("slug", sorted(PSP_UNMET))
def test_psp_2017_cities_are_ineligible(slug: str) -> None:
    """Each PSP-2017 city, with its reported answers, is ineligible naming the unmet questions."""
    raw = (PROGRAMS / "psp-2017" / "examples" / f"{slug}.json").read_bytes()
    response = parse_response(raw)
    assert response.received_at <= at("2017-08-19")
    result = evaluate(
        PSP,
        CITIES[slug],
        response,
        response_sha256=None,
        as_of=at("2017-08-21"),
        known_at=at("2017-08-21"),
    )
    assert result.outcome is Outcome.INELIGIBLE
    named = [reason.split(":", 1)[0] for reason in result.reasons]
    assert named == PSP_UNMET[slug]
    for question, reason in zip(named, result.reasons, strict=True):
        answered = response.answers[question].answer.value
        assert reason.startswith(f"{question}: answered '{answered}'; the program requires 'yes'")


def test_baltimore_release_notice_is_met() -> None:
    """Baltimore's state-run jail gives 48 hours' notice, so that one condition is met."""
    response = parse_response((PROGRAMS / "psp-2017/examples/baltimore-md.json").read_bytes())
    result = evaluate(
        PSP,
        CITIES["baltimore-md"],
        response,
        response_sha256=None,
        as_of=at("2017-08-21"),
        known_at=at("2017-08-21"),
    )
    assert statuses(result)["release-notice"] is ConditionStatus.MET


def test_jag_outside_illinois_waived_by_chicago_order() -> None:
    """Outside Illinois on 2017-10-01, the nationwide Chicago order waives access and notice."""
    result = jag("albuquerque-nm", "2017-10-01")
    assert result.outcome is Outcome.ELIGIBLE
    assert statuses(result) == {"certify-1373": "met", "access": "waived", "notice": "waived"}
    assert {r.waived_by for r in result.conditions[1:]} == {"chicago-v-sessions-pi"}
    assert result.orders_applied == ("chicago-v-sessions-pi",)


def test_jag_without_1373_certification_is_ineligible() -> None:
    """The 1373 condition was not enjoined, so not certifying it stays ineligible."""
    result = jag("albuquerque-nm", "2017-10-01", certify="no")
    assert result.outcome is Outcome.INELIGIBLE
    assert statuses(result)["certify-1373"] is ConditionStatus.UNMET
    assert result.reasons == (
        (
            "section_1373: answered 'no'; the award requires the chief legal officer's "
            "certification of compliance with 8 U.S.C. 1373"
        ),
    )


def test_jag_before_the_chicago_order_was_known() -> None:
    """Before 2017-09-15 the office knew of no order, so access and notice were unmet."""
    result = jag("albuquerque-nm", "2017-10-01", known_at="2017-09-14")
    assert statuses(result) == {"certify-1373": "met", "access": "unmet", "notice": "unmet"}


def test_jag_after_the_nationwide_scope_ended() -> None:
    """After the nationwide reach ended only Chicago keeps the waiver (date marked uncertain)."""
    assert jag("albuquerque-nm", "2018-07-01").outcome is Outcome.INELIGIBLE
    chicago = jag("chicago-il", "2018-07-01")
    assert chicago.outcome is Outcome.ELIGIBLE
    assert chicago.orders_applied == ("chicago-v-sessions-chicago",)


def test_jag_philadelphia_and_california() -> None:
    """Philadelphia's judgment and the California judgment waive all three conditions."""
    philadelphia = jag("philadelphia-pa", "2018-07-01", certify="no")
    assert philadelphia.orders_applied == ("philadelphia-v-sessions-sj",)
    assert philadelphia.outcome is Outcome.ELIGIBLE
    stockton = jag("stockton-ca", "2018-10-05", certify="no")
    assert stockton.orders_applied == ("sf-california-v-sessions",)
    assert jag("stockton-ca", "2018-10-04", certify="no").outcome is Outcome.INELIGIBLE
