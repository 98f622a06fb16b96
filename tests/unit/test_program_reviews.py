"""The shipped programs' review paths (issue #16, point 9): the stages the sources support."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.files.programs import load_program

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"


@pytest.mark.parametrize("program_id", ["jag-fy2017", "jag-fy2018"])
def test_jag_reviews_are_staged_with_a_person_deciding(program_id: str) -> None:
    """JAG: preliminary, 15 days to answer (2017-10-12 to 10-27), final by the Department."""
    review = load_program(PROGRAMS, program_id).program.review
    assert review is not None
    assert (review.stages, review.answer_days, review.final) == (
        ("preliminary", "final"),
        15,
        "person",
    )
    assert (review.late_responses, review.no_response) == ("flag", "pending")
    assert review.award_actions == {"eligible": "release", "ineligible": "withhold"}


def test_psp_review_closes_automatically() -> None:
    """PSP: the same window, then selection follows the latest evaluation (our reading)."""
    review = load_program(PROGRAMS, "psp-2017").program.review
    assert review is not None
    assert (review.stages, review.answer_days, review.final) == (
        ("preliminary", "final"),
        15,
        "automatic",
    )
    assert review.no_response == "ineligible"
    assert review.award_actions == {"eligible": "selected", "ineligible": "not_selected"}
