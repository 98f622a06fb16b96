"""The staged review path (issue #16), planned purely on folded state: no store, no clock."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from infra.files.programs import load_program
from infra.platform.settings import REPO_PROGRAMS_DIR
from schemas.base.canonical import sha256_hex
from schemas.base.errors import InputError
from schemas.events.catalog import LetterSent
from schemas.log.commit import seal_commit
from schemas.log.state import Step, StreamState, fold
from schemas.log.streams import StreamId
from schemas.planning.draft import CommitDraft
from schemas.planning.inbox import stream_item
from schemas.planning.review import plan_decision, plan_letter, plan_response
from schemas.planning.stages import (
    check_letter_not_overdue,
    check_not_late,
    pending_reason,
    plan_determination,
    plan_extension,
    plan_information,
    review_step,
)
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import Answer, AnswerValue, Respondent, Response
from schemas.program.review_path import Stage
from schemas.rules.evaluation import Outcome

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "programs" / "staged"
STOCKTON = Jurisdiction(slug="stockton-ca", name="Stockton, CA", state="CA", geoid="0675000")
QUESTIONS = ("detention_access", "release_notice", "detainer_hold")


def _at(month: int, day: int) -> datetime:
    return datetime(2017, month, day, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def person() -> ProgramBundle:
    """Preliminary then a person's determination; late responses flagged."""
    return load_program(FIXTURES, "staged-person")


@pytest.fixture(scope="module")
def automatic() -> ProgramBundle:
    """Preliminary then automatic; due 15 days after the letter; late refused; no reply pending."""
    return load_program(FIXTURES, "staged-auto")


def _apply(state: StreamState, draft: CommitDraft | None, when: datetime) -> StreamState:
    assert draft is not None
    commit = seal_commit(
        stream=state.stream,
        seq=state.head_seq + 1,
        prev=state.head_hash,
        idempotency_key=draft.idempotency_key,
        payloads=draft.payloads,
        time=when,
        actor="test",
    )
    return fold(state.stream, [commit], state)


def _lettered(bundle: ProgramBundle, letter_date: date = date(2017, 8, 3)) -> StreamState:
    state = StreamState(stream=StreamId(program=bundle.program.id, jurisdiction=STOCKTON.slug))
    spec = bundle.program.letter
    assert spec is not None
    sent = LetterSent(
        letter_sha256="a" * 64,
        letter_date=letter_date,
        response_due=spec.due_for(letter_date),
        delivery="none",
    )
    return _apply(state, plan_letter(state, sent), _at(letter_date.month, letter_date.day))


def _respond(state: StreamState, answer: AnswerValue, when: datetime) -> StreamState:
    response = Response(
        jurisdiction=STOCKTON.slug,
        program=state.stream.program,
        received_at=when,
        respondent=Respondent(name="Chief", title="Chief of Police"),
        answers={q: Answer(answer=answer) for q in QUESTIONS},
    )
    sha = sha256_hex(response.model_dump_json().encode())
    return _apply(state, plan_response(state, response, sha), when)


def _decide(state: StreamState, bundle: ProgramBundle, when: datetime) -> CommitDraft | None:
    return plan_decision(state, bundle, STOCKTON, as_of=when, known_at=when)


def test_first_decision_is_preliminary_and_opens_the_answer_window(person: ProgramBundle) -> None:
    """An ineligible evaluation is preliminary; the window is answer_days after it."""
    state = _respond(_lettered(person), AnswerValue.NOT_APPLICABLE, _at(8, 10))
    state = _apply(state, _decide(state, person, _at(8, 20)), _at(8, 20))
    assert (state.stage, state.decision, state.step) == (
        Stage.PRELIMINARY,
        Outcome.INELIGIBLE,
        Step.PRELIMINARY,
    )
    assert state.answer_due == date(2017, 9, 4)
    assert state.due == date(2017, 9, 4)
    assert state.notice_wanted == (state.decision_id, "preliminary")
    assert not state.final
    assert _decide(state, person, _at(9, 30)) is None  # a person decides this program


def test_an_answer_is_re_evaluated_still_preliminary_then_determined(person: ProgramBundle) -> None:
    """An answer inside the window is evaluated again; a person's determination is final."""
    state = _respond(_lettered(person), AnswerValue.NOT_APPLICABLE, _at(8, 10))
    state = _apply(state, _decide(state, person, _at(8, 20)), _at(8, 20))
    with pytest.raises(InputError, match="not awaiting a determination"):
        plan_determination(
            state,
            person.program,
            decision=Outcome.ELIGIBLE,
            reason="r",
            actor="a",
            as_of=_at(8, 21),
        )
    state = _respond(state, AnswerValue.YES, _at(8, 25))
    assert state.step is Step.RESPONSE_RECEIVED
    state = _apply(state, _decide(state, person, _at(8, 26)), _at(8, 26))
    assert (state.stage, state.decision, state.answer_due) == (
        Stage.PRELIMINARY,
        Outcome.ELIGIBLE,
        date(2017, 9, 4),
    )
    assert review_step(state, person.program, _at(8, 26)) is Step.AWAITING_DETERMINATION
    act = {"decision": Outcome.ELIGIBLE, "reason": "answered", "actor": "ojp-1", "as_of": _at(9, 1)}
    state = _apply(state, plan_determination(state, person.program, **act), _at(9, 1))  # type: ignore[arg-type]
    assert (state.final, state.step, state.effective_decision) == (
        True,
        Step.DECIDED,
        Outcome.ELIGIBLE,
    )
    assert state.award_action == "release"
    assert state.determination is not None
    assert state.determination.evaluated is Outcome.ELIGIBLE
    assert plan_determination(state, person.program, **act) is None  # type: ignore[arg-type]
    assert state.due is None


def test_maybe_is_not_a_determination(person: ProgramBundle) -> None:
    """A determination decides: pending is refused."""
    state = _respond(_lettered(person), AnswerValue.NO, _at(8, 10))
    state = _apply(state, _decide(state, person, _at(8, 20)), _at(8, 20))
    with pytest.raises(InputError, match="eligible or ineligible"):
        plan_determination(
            state, person.program, decision=Outcome.PENDING, reason="r", actor="a", as_of=_at(9, 9)
        )


def test_automatic_final_when_the_window_closes_and_extension_defers_it(
    automatic: ProgramBundle,
) -> None:
    """No final before the (extended) window closes; then the latest evaluation is final."""
    state = _respond(_lettered(automatic), AnswerValue.NO, _at(8, 10))
    state = _apply(state, _decide(state, automatic, _at(8, 11)), _at(8, 11))
    assert state.answer_due == date(2017, 8, 21)
    assert _decide(state, automatic, _at(8, 21)) is None  # the last day is inside the window
    state = _apply(
        state, plan_extension(state, until=date(2017, 8, 31), reason="asked", actor="a"), _at(8, 15)
    )
    assert plan_extension(state, until=date(2017, 8, 31), reason="asked", actor="a") is None
    with pytest.raises(InputError, match="before the deadline in force"):
        plan_extension(state, until=date(2017, 8, 20), reason="asked", actor="a")
    assert _decide(state, automatic, _at(8, 25)) is None
    state = _apply(state, _decide(state, automatic, _at(9, 1)), _at(9, 1))
    assert (state.final, state.stage, state.decision, state.award_action) == (
        True,
        Stage.FINAL,
        Outcome.INELIGIBLE,
        "withhold",
    )
    # The final has a notice of its own (the preliminary one went out under the decision id).
    assert state.notice_wanted == (f"final:{state.decision_id}", "final")
    assert _decide(state, automatic, _at(9, 2)) is None


def test_late_response_is_flagged(person: ProgramBundle) -> None:
    """A response after the deadline in force is evaluated with late=True."""
    state = _respond(_lettered(person), AnswerValue.YES, _at(8, 19))
    state = _apply(state, _decide(state, person, _at(8, 20)), _at(8, 20))
    assert state.late
    assert state.evaluation is not None
    assert state.evaluation.due == date(2017, 8, 18)


def test_on_time_response_is_not_late(person: ProgramBundle) -> None:
    """The due date itself is inside the window."""
    state = _respond(_lettered(person), AnswerValue.YES, _at(8, 18))
    state = _apply(state, _decide(state, person, _at(8, 20)), _at(8, 20))
    assert not state.late


def test_refused_late_response(automatic: ProgramBundle) -> None:
    """`late_responses: refuse` refuses a response after the relative deadline."""
    state = _lettered(automatic)
    assert state.due == date(2017, 8, 18)
    check_not_late(state, automatic.program, _at(8, 18))
    with pytest.raises(InputError, match="refuses late responses"):
        check_not_late(state, automatic.program, _at(8, 19))


def test_no_response_pending_waits_for_a_person(automatic: ProgramBundle) -> None:
    """`no_response: pending` records nothing when the deadline passes."""
    state = _lettered(automatic)
    assert _decide(state, automatic, _at(9, 1)) is None
    assert state.decision is None


def test_no_response_ineligible_is_preliminary(person: ProgramBundle) -> None:
    """With `no_response: ineligible` a missed deadline is a preliminary ineligible."""
    state = _lettered(person)
    assert _decide(state, person, _at(8, 18)) is None
    state = _apply(state, _decide(state, person, _at(8, 19)), _at(8, 19))
    assert (state.stage, state.decision) == (Stage.PRELIMINARY, Outcome.INELIGIBLE)
    assert review_step(state, person.program, _at(9, 3)) is Step.PRELIMINARY
    assert review_step(state, person.program, _at(9, 4)) is Step.AWAITING_DETERMINATION


def test_information_request_waits_and_its_answer_closes_it(person: ProgramBundle) -> None:
    """While a request is open nothing is decided; the answer is evaluated as usual."""
    state = _respond(_lettered(person), AnswerValue.NO, _at(8, 10))
    state = _apply(state, _decide(state, person, _at(8, 11)), _at(8, 11))
    act = {
        "questions": ("detainer_hold",),
        "due": date(2017, 9, 20),
        "reason": "who runs the jail?",
        "actor": "ojp-1",
        "as_of": _at(8, 12),
    }
    state = _apply(state, plan_information(state, person.program, **act), _at(8, 12))  # type: ignore[arg-type]
    assert plan_information(state, person.program, **act) is None  # type: ignore[arg-type]
    assert (state.step, state.due) == (Step.AWAITING_INFORMATION, date(2017, 9, 20))
    assert state.notice_wanted is not None
    assert state.notice_wanted[1] == "information"
    assert review_step(state, person.program, _at(9, 10)) is Step.AWAITING_INFORMATION
    state = _respond(state, AnswerValue.YES, _at(9, 1))
    assert state.information is None
    state = _apply(state, _decide(state, person, _at(9, 2)), _at(9, 2))
    assert (state.stage, state.decision) == (Stage.PRELIMINARY, Outcome.ELIGIBLE)


def _asked(state: StreamState, bundle: ProgramBundle, due: date, when: datetime) -> StreamState:
    """A reviewer's request for information about the detainer question, due `due`."""
    draft = plan_information(
        state,
        bundle.program,
        questions=("detainer_hold",),
        due=due,
        reason="who runs the jail?",
        actor="ojp-2",
        as_of=when,
    )
    return _apply(state, draft, when)


def test_an_unanswered_request_after_an_answer_goes_to_the_determining_official(
    person: ProgramBundle,
) -> None:
    """The jurisdiction answered, then ignored a request: once it is overdue, a person decides."""
    state = _respond(_lettered(person), AnswerValue.NO, _at(8, 10))
    state = _apply(state, _decide(state, person, _at(8, 11)), _at(8, 11))
    state = _respond(state, AnswerValue.YES, _at(8, 15))
    state = _apply(state, _decide(state, person, _at(8, 16)), _at(8, 16))
    state = _asked(state, person, date(2017, 8, 25), _at(8, 17))
    assert review_step(state, person.program, _at(8, 25)) is Step.AWAITING_INFORMATION
    assert review_step(state, person.program, _at(8, 26)) is Step.AWAITING_DETERMINATION
    assert "request for information due 2017-08-25 went unanswered" in str(
        pending_reason(state, person.program, _at(8, 26))
    )
    act = {"decision": Outcome.INELIGIBLE, "reason": "no answer", "actor": "a", "as_of": _at(8, 26)}
    state = _apply(state, plan_determination(state, person.program, **act), _at(8, 26))  # type: ignore[arg-type]
    assert (state.final, state.effective_decision) == (True, Outcome.INELIGIBLE)


def test_an_unanswered_request_waits_for_the_answer_window_then_for_a_person(
    person: ProgramBundle,
) -> None:
    """Overdue while the preliminary window is open: the window still runs; then a person."""
    state = _respond(_lettered(person), AnswerValue.NO, _at(8, 10))
    state = _apply(state, _decide(state, person, _at(8, 11)), _at(8, 11))
    assert state.answer_due == date(2017, 8, 26)
    state = _asked(state, person, date(2017, 8, 18), _at(8, 12))
    assert review_step(state, person.program, _at(8, 20)) is Step.AWAITING_INFORMATION
    with pytest.raises(InputError, match="not awaiting a determination"):
        plan_determination(
            state,
            person.program,
            decision=Outcome.INELIGIBLE,
            reason="r",
            actor="a",
            as_of=_at(8, 20),
        )
    assert review_step(state, person.program, _at(8, 27)) is Step.AWAITING_DETERMINATION
    item = stream_item(
        state, person.program, as_of=_at(8, 27), horizon=date(2017, 9, 10), asked_as_of=None
    )
    assert item is not None
    assert (item.waiting_on, item.act_type, item.overdue) == (
        "determining_official",
        "determine",
        True,
    )
    assert item.command.startswith(
        "grantreview determine stockton-ca -p staged-person --decision ineligible"
    )
    assert "went unanswered" in item.what


@pytest.mark.parametrize(
    ("questions", "due", "message"),
    [
        (("who_runs_the_jail",), date(2017, 9, 20), "unknown question id"),
        (("detainer_hold",), date(2017, 8, 1), "before the letter"),
    ],
)
def test_bad_information_requests(
    person: ProgramBundle, questions: tuple[str, ...], due: date, message: str
) -> None:
    """An unknown question or a due date before the letter is bad input."""
    state = _lettered(person)
    with pytest.raises(InputError, match=message):
        plan_information(
            state,
            person.program,
            questions=questions,
            due=due,
            reason="r",
            actor="a",
            as_of=_at(8, 5),
        )


def test_overdue_letter_is_refused(person: ProgramBundle) -> None:
    """A letter dated after the fixed deadline names the deadline and the ways out."""
    check_letter_not_overdue(person.program, date(2017, 8, 18))
    with pytest.raises(InputError, match=r"2017-08-18.*--as-of.*extend.*response_within_days"):
        check_letter_not_overdue(person.program, date(2017, 8, 19))


def test_unstaged_programs_keep_their_hash_and_single_stage(tmp_path: Path) -> None:
    """psp-2017 without `review:` hashes as before and decides final at evaluation (stage None)."""
    shutil.copytree(REPO_PROGRAMS_DIR / "psp-2017", tmp_path / "psp-2017")
    path = tmp_path / "psp-2017" / "program.yaml"
    text = path.read_text()
    start, end = text.index("\nreview:\n"), text.index("\nquestions:\n")
    path.write_text(text[:start] + text[end:])  # the one-stage program psp-2017 was
    bundle = load_program(tmp_path, "psp-2017")
    assert bundle.program.review is None
    assert b'"review"' not in bundle.document()
    assert b"response_within_days" not in bundle.document()
    state = _respond(_lettered(bundle), AnswerValue.NO, _at(8, 10))
    state = _apply(state, _decide(state, bundle, _at(8, 20)), _at(8, 20))
    assert (state.stage, state.step, state.evaluation and state.evaluation.due) == (
        None,
        Step.DECIDED,
        None,
    )
