"""Reevaluation of staged reviews: finals only, a person's determination is left alone."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.eventlog.appender import append_planned
from infra.eventlog.memory_store import MemoryObjectStore
from infra.files.programs import load_program
from infra.platform.settings import Settings
from infra.runtime import Runtime
from schemas.log.state import StreamState
from schemas.log.streams import StreamId
from schemas.planning.reevaluation import RevisionStatus, reevaluate_stream
from schemas.planning.review import plan_decision
from schemas.program.definition import ProgramBundle
from schemas.program.review_path import Stage
from schemas.rules.evaluation import Outcome
from usecases.imports import import_csv
from usecases.letters import send_letter_for
from usecases.respond import accept_response, record_response
from usecases.stages import determine

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "programs" / "staged"
PROGRAM = "staged-person"
STREAM = StreamId(program=PROGRAM, jurisdiction="stockton-ca")
QUESTIONS = ("detention_access", "release_notice", "detainer_hold")


def _at(month: int, day: int) -> datetime:
    return datetime(2017, month, day, 12, tzinfo=UTC)


@pytest.fixture
def runtime() -> Runtime:
    """A runtime over a memory store with the seed jurisdictions and the staged fixtures."""
    made = Runtime(Settings(s3_prefix="p/", programs_dir=FIXTURES, signing_key_file=None))
    made.__dict__["store"] = MemoryObjectStore()
    import_csv(made, ROOT / "programs" / "psp-2017" / "examples" / "jurisdictions.csv")
    return made


@pytest.fixture
def stricter(tmp_path: Path) -> ProgramBundle:
    """staged-person with a rule no answer meets: a fresh evaluation says ineligible."""
    shutil.copytree(FIXTURES / PROGRAM, tmp_path / PROGRAM)
    path = tmp_path / PROGRAM / "program.yaml"
    text = path.read_text()
    path.write_text(text.replace('answers.detainer_hold.answer == "yes"', "false"))
    return load_program(tmp_path, PROGRAM)


def _preliminary_eligible(runtime: Runtime, tmp: Path) -> StreamState:
    bundle = runtime.program(PROGRAM)
    (row,) = [j for j in runtime.registry().values() if j.slug == STREAM.jurisdiction]
    send_letter_for(
        runtime, bundle, row, runtime.log.state(STREAM), as_of=_at(8, 3), flow_run_id=None
    )
    body = {
        "jurisdiction": STREAM.jurisdiction,
        "program": PROGRAM,
        "received_at": _at(8, 10).isoformat(),
        "respondent": {"name": "Chief", "title": "Chief of Police"},
        "answers": {q: {"answer": "yes"} for q in QUESTIONS},
    }
    path = tmp / "yes.json"
    path.write_text(json.dumps(body))
    accepted = accept_response(runtime, PROGRAM, STREAM.jurisdiction, path)
    record_response(runtime, PROGRAM, STREAM.jurisdiction, accepted)
    return append_planned(
        runtime.log,
        runtime.log.state(STREAM),
        lambda s: plan_decision(s, bundle, row, as_of=_at(8, 11), known_at=_at(8, 11)),
        time=_at(8, 11),
        actor="test",
    ).state


def test_preliminary_is_awaiting_review_and_a_determination_is_left_alone(
    runtime: Runtime, stricter: ProgramBundle, tmp_path: Path
) -> None:
    """A preliminary decision is not revised; a determined final is reported, not revised."""
    state = _preliminary_eligible(runtime, tmp_path)
    (row,) = [j for j in runtime.registry().values() if j.slug == STREAM.jurisdiction]
    moment = {"as_of": _at(9, 30), "known_at": _at(9, 30)}
    assert (state.stage, state.decision) == (Stage.PRELIMINARY, Outcome.ELIGIBLE)
    result = reevaluate_stream(state, stricter, row, **moment)
    assert (result.status, result.draft) == (RevisionStatus.AWAITING_REVIEW, None)
    state = determine(
        runtime, PROGRAM, STREAM.jurisdiction, decision=Outcome.ELIGIBLE, reason="r", actor="a",
        as_of=_at(8, 27),
    ).state  # fmt: skip # the answer window (15 days from 2017-08-11) has closed
    assert (state.final, state.stage) == (True, Stage.FINAL)
    result = reevaluate_stream(state, stricter, row, **moment)
    assert (result.status, result.after, result.draft) == (
        RevisionStatus.OVERRIDDEN,
        Outcome.INELIGIBLE,
        None,
    )
