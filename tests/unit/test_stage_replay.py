"""Replay of staged reviews over an in-memory store: every stage transition re-derived."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from infra.eventlog.appender import append_planned
from infra.eventlog.documents import document_key
from infra.eventlog.memory_store import MemoryObjectStore
from infra.files.report_html import render_report
from infra.platform.clock import utc_now
from infra.platform.settings import Settings
from infra.runtime import Runtime
from schemas.events.catalog import DecisionIssued, NoticeSent
from schemas.log.commit import Commit
from schemas.log.cumulative_checkpoint import Keyring
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from schemas.planning.review import plan_decision
from schemas.program.review_path import Stage
from schemas.replay.rederive import (
    Moments,
    ProgramCatalog,
    RegistryHistory,
    ReplayKind,
    replay_stream,
)
from schemas.rules.evaluation import Outcome
from usecases.imports import import_csv
from usecases.letters import send_letter_for
from usecases.notices import send_notice_for
from usecases.replay import replay_store
from usecases.respond import accept_response, record_response
from usecases.stages import determine, extend_deadline, request_information

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "programs" / "staged"
PREFIX = "p/"
STAGE_KINDS = {kind.value for kind in ReplayKind}
QUESTIONS = ("detention_access", "release_notice", "detainer_hold")


def _at(month: int, day: int) -> datetime:
    return datetime(2017, month, day, 12, tzinfo=UTC)


@pytest.fixture
def runtime() -> Runtime:
    """A runtime over a memory store with the seed jurisdictions and the staged fixtures."""
    made = Runtime(Settings(s3_prefix=PREFIX, programs_dir=FIXTURES, signing_key_file=None))
    made.__dict__["store"] = MemoryObjectStore()
    import_csv(made, ROOT / "programs" / "psp-2017" / "examples" / "jurisdictions.csv")
    for program in ("staged-person", "staged-auto"):
        made.documents.put(made.program(program).document())  # as the flows store it
    return made


class Walk:
    """One jurisdiction of one staged program, driven as review / respond / the sweep do."""

    def __init__(self, runtime: Runtime, program: str, slug: str, tmp: Path) -> None:
        self.runtime, self.program, self.slug, self.tmp = runtime, program, slug, tmp
        self.stream = StreamId(program=program, jurisdiction=slug)
        (self.row,) = [j for j in runtime.registry().values() if j.slug == slug]

    def letter(self) -> None:
        bundle = self.runtime.program(self.program)
        state = self.runtime.log.state(self.stream)
        send_letter_for(self.runtime, bundle, self.row, state, as_of=_at(8, 3), flow_run_id=None)

    def respond(self, answer: str, when: datetime) -> None:
        body = {
            "jurisdiction": self.slug,
            "program": self.program,
            "received_at": when.isoformat(),
            "respondent": {"name": "Chief", "title": "Chief of Police"},
            "answers": {q: {"answer": answer} for q in QUESTIONS},
        }
        path = self.tmp / f"{self.program}-{self.slug}-{answer}.json"
        path.write_text(json.dumps(body))
        accepted = accept_response(self.runtime, self.program, self.slug, path)
        record_response(self.runtime, self.program, self.slug, accepted)

    def advance(self, when: datetime) -> None:
        bundle = self.runtime.program(self.program)
        result = append_planned(
            self.runtime.log,
            self.runtime.log.state(self.stream),
            lambda s: plan_decision(s, bundle, self.row, as_of=when, known_at=when),
            time=utc_now(),
            actor="test",
        )
        send_notice_for(self.runtime, bundle, self.row, result.state, as_of=when, flow_run_id=None)


def open_request(runtime: Runtime, tmp: Path, answer: str) -> Walk:
    """Stockton: letter, `answer`, a preliminary decision, then a request for information."""
    person = Walk(runtime, "staged-person", "stockton-ca", tmp)
    person.letter()
    person.respond(answer, _at(8, 10))
    person.advance(_at(8, 20))
    request_information(
        runtime,
        "staged-person",
        "stockton-ca",
        questions=("detainer_hold",),
        due=date(2017, 9, 10),
        reason="who runs the jail?",
        actor="ojp-1",
        as_of=_at(8, 22),
    )
    return person


def determined(runtime: Runtime, tmp: Path, answers: tuple[str, str], decision: Outcome) -> None:
    """Stockton answers, is asked again, answers the request, then ojp-1 determines."""
    person = open_request(runtime, tmp, answers[0])
    person.respond(answers[1], _at(8, 25))
    person.advance(_at(8, 26))
    determine(
        runtime,
        "staged-person",
        "stockton-ca",
        decision=decision,
        reason="answered",
        actor="ojp-1",
        as_of=_at(9, 11),
    )


def _staged_log(runtime: Runtime, tmp: Path) -> None:
    """Person final after a request for information; automatic final after an extension."""
    determined(runtime, tmp, ("not_applicable", "yes"), Outcome.ELIGIBLE)
    auto = Walk(runtime, "staged-auto", "baltimore-md", tmp)
    auto.letter()
    auto.respond("no", _at(8, 10))
    auto.advance(_at(8, 11))
    extend_deadline(
        runtime,
        "staged-auto",
        "baltimore-md",
        until=date(2017, 9, 1),
        reason="asked for time",
        actor="ojp-1",
        as_of=_at(8, 12),
    )
    auto.advance(_at(8, 25))  # inside the extended window: nothing decided
    auto.advance(_at(9, 5))  # closed: the automatic final


def _stage_findings(runtime: Runtime) -> list[str]:
    """Replay's own findings (integrity ones aside: these commits are unsigned)."""
    report = replay_store(runtime.store, PREFIX, Keyring(keys=()), workers=2)
    return [str(f) for f in report.findings if f.kind in STAGE_KINDS]


def test_clean_staged_log_replays_without_findings(runtime: Runtime, tmp_path: Path) -> None:
    """Preliminary, request, answer, determination, extension, automatic final: no findings."""
    _staged_log(runtime, tmp_path)
    auto = runtime.log.state(StreamId(program="staged-auto", jurisdiction="baltimore-md"))
    assert (auto.final, auto.award_action) == (True, "withhold")
    assert len(auto.notices_sent) == 2
    person = runtime.log.state(StreamId(program="staged-person", jurisdiction="stockton-ca"))
    assert (person.final, person.award_action) == (True, "release")
    assert _stage_findings(runtime) == []


def test_tampered_notice_document_is_a_finding(runtime: Runtime, tmp_path: Path) -> None:
    """A notice's stored Markdown changed after the fact is a tampered-document finding."""
    _staged_log(runtime, tmp_path)
    stream = StreamId(program="staged-person", jurisdiction="stockton-ca")
    sent = [
        event
        for commit in runtime.log.read_stream(stream)
        for _, event in decoded_events(commit)
        if isinstance(event, NoticeSent)
    ]
    store = runtime.store
    assert isinstance(store, MemoryObjectStore)
    key = document_key(PREFIX, sent[0].notice_sha256)
    store._objects[key] = b"You were found eligible."  # an insider rewrites it
    findings = _stage_findings(runtime)
    assert any("tampered_document" in f and "notice document" in f for f in findings), findings


def test_a_final_recorded_inside_the_window_is_a_finding(runtime: Runtime, tmp_path: Path) -> None:
    """An automatic final recorded before the answer window closed does not re-derive."""
    _staged_log(runtime, tmp_path)
    stream = StreamId(program="staged-auto", jurisdiction="baltimore-md")
    commits = runtime.log.read_stream(stream)

    def is_close(commit: Commit) -> bool:
        first = decoded_events(commit)[0][1]
        return isinstance(first, DecisionIssued) and first.stage is Stage.FINAL

    assert sum(map(is_close, commits)) == 1
    moved = [c.model_copy(update={"time": _at(8, 20)}) if is_close(c) else c for c in commits]
    documents = {k.rsplit("/", 1)[-1]: runtime.store.get(k) for k in _document_keys(runtime)}
    _, findings = replay_stream(
        stream,
        moved,
        programs=ProgramCatalog(documents),
        responses=documents,
        registry=RegistryHistory(
            c.model_copy(update={"time": _at(8, 1)})  # registered before the forged moment
            for c in runtime.log.read_stream(StreamId.registry())
        ),
        moments=Moments(),
    )
    assert [(f.kind, f.detail.split(":")[0]) for f in findings] == [
        ("premature", "decision.issued"),  # issue #22: named for what it is, not a divergence
        ("divergence", "final notice final"),  # its notice states the true recorded date
    ], findings


def _document_keys(runtime: Runtime) -> list[str]:
    return list(runtime.store.list_keys(f"{PREFIX}documents/"))


def test_report_timeline_shows_stages_notices_and_extensions(
    runtime: Runtime, tmp_path: Path
) -> None:
    """The HTML timeline labels preliminary and final decisions, notices and extensions."""
    _staged_log(runtime, tmp_path)
    report = replay_store(runtime.store, PREFIX, Keyring(keys=()), workers=2)
    html = render_report(report)
    for label in ("preliminary", "final", "preliminary notice", "final notice", "extension"):
        assert f'<span class="badge stage" title="review stage">{label}</span>' in html, label
    assert "answer deadline extended by ojp-1 from 2017-08-21 to 2017-09-01" in html
    assert "final determination by ojp-1: eligible" in html
