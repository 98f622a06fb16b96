"""The pure planners behind letters, the outbox, reminders and no-response decisions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from infra.files.programs import load_program
from infra.platform.settings import REPO_PROGRAMS_DIR
from schemas.events.catalog import LetterQueued, LetterSent, ReminderQueued, ReminderSent
from schemas.log.commit import seal_commit
from schemas.log.state import StreamState, fold
from schemas.log.streams import StreamId
from schemas.planning.deadlines import plan_reminder, reminder_due, render_reminder
from schemas.planning.draft import CommitDraft
from schemas.planning.review import delivery_id, plan_letter, plan_letter_queued
from schemas.program.definition import ProgramBundle

STREAM = StreamId(program="psp-2017", jurisdiction="stockton-ca")
T0 = datetime(2017, 8, 3, tzinfo=UTC)


@pytest.fixture(scope="module")
def bundle() -> ProgramBundle:
    """The shipped PSP-2017 program (letter dated 2017-08-03, due 08-18, reminder after 7 days)."""
    return load_program(REPO_PROGRAMS_DIR, "psp-2017")


def _apply(state: StreamState, draft: CommitDraft | None) -> StreamState:
    assert draft is not None
    commit = seal_commit(
        stream=state.stream,
        seq=state.head_seq + 1,
        prev=state.head_hash,
        idempotency_key=draft.idempotency_key,
        payloads=draft.payloads,
        time=T0,
        actor="test",
    )
    return fold(state.stream, [commit], state)


def _queued(state: StreamState) -> LetterQueued:
    return LetterQueued(
        letter_sha256="a" * 64,
        html_sha256="b" * 64,
        letter_date=date(2017, 8, 3),
        response_due=date(2017, 8, 18),
        recipient="stockton-ca@example.org",
        delivery_id=delivery_id(state, "letter", "ojp.example"),
    )


def _sent(queued: LetterQueued) -> LetterSent:
    return LetterSent(
        letter_sha256=queued.letter_sha256,
        html_sha256=queued.html_sha256,
        letter_date=queued.letter_date,
        response_due=queued.response_due,
        delivery="smtp",
        recipient=queued.recipient,
        delivery_id=queued.delivery_id,
    )


def _lettered() -> StreamState:
    state = StreamState(stream=STREAM)
    queued = _queued(state)
    state = _apply(state, plan_letter_queued(state, queued))
    return _apply(state, plan_letter(state, _sent(queued)))


def _day(day: int) -> datetime:
    return datetime(2017, 8, day, tzinfo=UTC)


def test_delivery_id_is_fixed_per_stream_and_kind() -> None:
    """The Message-ID depends only on the stream and the kind of mail, so retries reuse it."""
    state = StreamState(stream=STREAM)
    other = StreamState(stream=StreamId(program="psp-2017", jurisdiction="baltimore-md"))
    letter = delivery_id(state, "letter", "ojp.example")
    assert letter == delivery_id(replace(state, head_seq=5), "letter", "ojp.example")
    assert letter != delivery_id(state, "reminder", "ojp.example")
    assert letter != delivery_id(other, "letter", "ojp.example")
    assert letter.startswith("<letter.")
    assert letter.endswith("@ojp.example>")


def test_letter_is_queued_once_then_recorded_once() -> None:
    """The outbox entry and the sent record are each planned once per stream."""
    state = StreamState(stream=STREAM)
    queued = _queued(state)
    draft = plan_letter_queued(state, queued)
    assert draft is not None
    assert draft.idempotency_key == "letter-queued"
    state = _apply(state, draft)
    assert state.letter_queued == queued
    assert plan_letter_queued(state, queued) is None
    sent = plan_letter(state, _sent(queued))
    assert sent is not None
    assert sent.idempotency_key == "letter"
    state = _apply(state, sent)
    assert state.step.value == "letter_sent"
    assert plan_letter(state, _sent(queued)) is None
    assert plan_letter_queued(state, queued) is None


@pytest.mark.parametrize(("day", "due"), [(9, False), (10, True), (18, True), (19, False)])
def test_reminder_is_due_from_day_seven_until_the_deadline(
    bundle: ProgramBundle, day: int, due: bool
) -> None:
    """A reminder is due 7 days after the letter and only while the window is open."""
    assert reminder_due(_lettered(), bundle.program, _day(day)) is due


def test_no_reminder_without_a_letter_or_after_a_response(bundle: ProgramBundle) -> None:
    """No letter, a response in, or a reminder already sent: no reminder is due."""
    program = bundle.program
    assert not reminder_due(StreamState(stream=STREAM), program, _day(12))
    state = _lettered()
    assert not reminder_due(replace(state, decided=True), program, _day(12))
    sent = ReminderSent(letter_sha256="a" * 64, response_due=date(2017, 8, 18), delivery="none")
    reminded = _apply(state, plan_reminder(state, program, _day(12), sent))
    assert reminded.reminder == sent
    assert not reminder_due(reminded, program, _day(13))
    assert plan_reminder(reminded, program, _day(13), sent) is None


def test_queued_reminder_is_recorded_even_after_the_window(bundle: ProgramBundle) -> None:
    """A reminder pinned in the outbox (maybe mailed) is recorded as sent whatever came after."""
    program = bundle.program
    state = _lettered()
    queued = ReminderQueued(
        reminder_sha256="c" * 64,
        html_sha256="d" * 64,
        letter_sha256="a" * 64,
        response_due=date(2017, 8, 18),
        recipient="stockton-ca@example.org",
        delivery_id=delivery_id(state, "reminder", "ojp.example"),
    )
    assert plan_reminder(state, program, _day(9), queued) is None  # not yet due
    state = _apply(state, plan_reminder(state, program, _day(12), queued))
    assert plan_reminder(state, program, _day(12), queued) is None  # queued once
    sent = ReminderSent(
        letter_sha256="a" * 64,
        response_due=date(2017, 8, 18),
        delivery="smtp",
        delivery_id=queued.delivery_id,
    )
    draft = plan_reminder(state, program, _day(25), sent)
    assert draft is not None
    assert draft.idempotency_key == "reminder"


def test_reminder_text_quotes_the_letter_and_the_due_date() -> None:
    """The reminder names the letter's date and deadline above the original letter."""
    rendered = render_reminder(_lettered(), "Dear Chief: the questions.")
    assert "letter of 2017-08-03" in rendered.markdown
    assert "**2017-08-18**" in rendered.markdown
    assert rendered.markdown.endswith("Dear Chief: the questions.")
    assert "<strong>Reminder.</strong>" in rendered.html
