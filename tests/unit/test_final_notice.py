"""The final notice states the decision, award action, official and both dates (issue #23).

Its template is versioned: a log whose finals were sent with the first template replays clean.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.runtime import Runtime
from schemas.events.catalog import NoticeSent, decode_event_data
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from tests.unit.test_stage_replay import _stage_findings, _staged_log
from tests.unit.test_stage_replay import runtime as staged_runtime

runtime = staged_runtime  # the staged fixture, under the name the tests ask for
PERSON = StreamId(program="staged-person", jurisdiction="stockton-ca")
AUTO = StreamId(program="staged-auto", jurisdiction="baltimore-md")


def _final_notice(runtime: Runtime, stream: StreamId) -> tuple[NoticeSent, str]:
    (sent,) = [
        event
        for commit in runtime.log.read_stream(stream)
        for _, event in decoded_events(commit)
        if isinstance(event, NoticeSent) and event.kind == "final"
    ]
    raw = runtime.documents.get(sent.notice_sha256)
    assert raw is not None
    return sent, raw.decode("utf-8")


def test_final_notice_states_decision_award_official_and_dates(
    runtime: Runtime, tmp_path: Path
) -> None:
    """A person's final names the decision, award action, official, decided-for and recorded-on."""
    _staged_log(runtime, tmp_path)
    sent, markdown = _final_notice(runtime, PERSON)
    state = runtime.log.state(PERSON)
    assert state.final_time is not None
    assert sent.template == 2
    assert "The final decision is: **eligible**." in markdown
    assert "Award action: **release**." in markdown
    assert "Determined by: ojp-1." in markdown
    recorded = state.final_time.date().isoformat()
    assert f"Decided for: 2017-09-11. Recorded on: {recorded}." in markdown


def test_automatic_final_notice_says_no_person_acted(runtime: Runtime, tmp_path: Path) -> None:
    """An automatic final says so, with its award action and the date its decision is for.

    It makes the preliminary decision final, so it is for the preliminary's date (08-11).
    """
    _staged_log(runtime, tmp_path)
    sent, markdown = _final_notice(runtime, AUTO)
    assert sent.template == 2
    assert "Award action: **withhold**." in markdown
    assert "Determined automatically" in markdown
    assert "Decided for: 2017-08-11." in markdown
    assert "Determined by" not in markdown


def test_a_log_sent_with_the_first_template_still_replays_clean(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finals sent before version 2 keep the first template; replay renders each with its own."""
    monkeypatch.setattr("usecases.notices.notice_template", lambda _state: 1)
    _staged_log(runtime, tmp_path)
    for stream in (PERSON, AUTO):
        sent, markdown = _final_notice(runtime, stream)
        assert sent.template == 1
        assert "Award action" not in markdown
    assert _stage_findings(runtime) == []


def test_a_notice_stored_before_versions_reads_as_the_first_template() -> None:
    """A `notice.sent` of schema version 1 (no `template` field) decodes as template 1."""
    data = {
        "notice_id": "final:d1",
        "kind": "final",
        "notice_sha256": "a" * 64,
        "html_sha256": "b" * 64,
        "notice_date": "2017-09-11",
        "answer_due": None,
        "delivery": "none",
    }
    event = decode_event_data(NoticeSent.TYPE, 1, data)
    assert isinstance(event, NoticeSent)
    assert event.template == 1
