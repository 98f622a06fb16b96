"""Property tests: evaluation is total over any valid response and deterministic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from hypothesis import given
from hypothesis import strategies as st

from infra.files.programs import load_program
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import Answer, AnswerValue, Instrument, Respondent, Response
from schemas.rules.engine import evaluate, rule_set_in_force
from schemas.rules.evaluation import ConditionStatus, Evaluation, Outcome

if TYPE_CHECKING:
    from schemas.program.definition import ProgramBundle

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"
BUNDLES = [load_program(PROGRAMS, name) for name in ("psp-2017", "jag-fy2017")]
PLACES = [
    Jurisdiction(slug="chicago-il", name="Chicago, IL", state="IL", geoid="1714000"),
    Jurisdiction(slug="philadelphia-pa", name="Philadelphia, PA", state="PA", geoid="4260000"),
    Jurisdiction(slug="new-york-ny", name="New York, NY", state="NY", geoid="3651000"),
    Jurisdiction(slug="stockton-ca", name="Stockton, CA", state="CA", geoid="0675000"),
    Jurisdiction(slug="evanston-il", name="Evanston, IL", state="IL", geoid="1724582"),
    Jurisdiction(slug="baltimore-md", name="Baltimore, MD", state="MD", geoid="2404000"),
    Jurisdiction(slug="san-juan-pr", name="San Juan, PR", state="PR", geoid="7276770"),
]
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))])
# Naive bounds are how hypothesis takes them; it attaches one of ZONES to each draw.
MOMENTS = st.datetimes(
    min_value=datetime(2016, 6, 1),  # noqa: DTZ001 - see above
    max_value=datetime(2022, 1, 1),  # noqa: DTZ001 - see above
    timezones=ZONES,
)
# A fixed alphabet (with quotes, accents and a newline) keeps draws fast and still awkward.
TEXT = st.none() | st.text(alphabet="ab Z'\"\\é—\n{}", max_size=40)
ANSWERS = st.builds(
    Answer,
    answer=st.sampled_from(AnswerValue),
    instrument=st.none() | st.sampled_from(Instrument),
    controlled_by=TEXT,
    citation=TEXT,
    text=TEXT,
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[ProgramBundle, Jurisdiction, Response | None]:
    """A shipped program, a jurisdiction and any valid response (or none)."""
    bundle = draw(st.sampled_from(BUNDLES))
    place = draw(st.sampled_from(PLACES))
    if draw(st.booleans()):
        return bundle, place, None
    ids = sorted(bundle.program.question_ids())
    answers = draw(st.dictionaries(st.sampled_from(ids), ANSWERS))
    response = Response(
        jurisdiction=place.slug,
        program=bundle.program.id,
        received_at=draw(MOMENTS),
        respondent=Respondent(name="A. Person", title="Chief"),
        answers=answers,
    )
    return bundle, place, response


def run(
    case: tuple[ProgramBundle, Jurisdiction, Response | None], as_of: datetime, known_at: datetime
) -> Evaluation:
    """Evaluate one drawn case."""
    bundle, place, response = case
    return evaluate(bundle, place, response, response_sha256=None, as_of=as_of, known_at=known_at)


@given(case=cases(), as_of=MOMENTS, known_at=MOMENTS)
def test_evaluation_is_total(
    case: tuple[ProgramBundle, Jurisdiction, Response | None], as_of: datetime, known_at: datetime
) -> None:
    """Any valid response gives a result for every condition in force, and a consistent outcome."""
    bundle, _, response = case
    result = run(case, as_of, known_at)
    rule_set = rule_set_in_force(bundle.program, as_of)
    expected = [c.id for c in rule_set.conditions] if rule_set else []
    assert [c.id for c in result.conditions] == expected
    assert result.reasons
    blocking = any(c.status in {"unmet", "unanswered"} for c in result.conditions)
    if rule_set is None or response is None:
        assert result.outcome is not Outcome.ELIGIBLE
    else:
        assert (result.outcome is Outcome.ELIGIBLE) is not blocking
    for condition in result.conditions:
        waived = condition.status is ConditionStatus.WAIVED
        assert (condition.waived_by is not None) is waived
        assert not waived or condition.waived_by in result.orders_applied


@given(case=cases(), as_of=MOMENTS, known_at=MOMENTS)
def test_evaluation_is_deterministic(
    case: tuple[ProgramBundle, Jurisdiction, Response | None], as_of: datetime, known_at: datetime
) -> None:
    """The same inputs, with answers in any order, give the same evaluation and decision id."""
    bundle, place, response = case
    first = run(case, as_of, known_at)
    if response is not None:
        reordered = dict(reversed(list(response.answers.items())))
        response = response.model_copy(update={"answers": reordered})
    again = run((bundle, place, response), as_of, known_at)
    assert again == first
    assert again.decision_id == first.decision_id


@given(case=cases(), as_of=MOMENTS, known_at=MOMENTS, later=st.timedeltas(min_value=timedelta(0)))
def test_knowing_more_never_unwaives(
    case: tuple[ProgramBundle, Jurisdiction, Response | None],
    as_of: datetime,
    known_at: datetime,
    later: timedelta,
) -> None:
    """Learning of more orders (a later known_at) can only add waivers, never remove one."""
    before = {c.id for c in run(case, as_of, known_at).conditions if c.status == "waived"}
    after = run(case, as_of, known_at + min(later, timedelta(days=3650)))
    assert before <= {c.id for c in after.conditions if c.status == "waived"}
