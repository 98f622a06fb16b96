"""The staged-review acts over an in-memory store: each idempotent, bad input writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from infra.eventlog.appender import append_planned
from infra.eventlog.memory_store import MemoryObjectStore
from infra.platform.settings import Settings
from infra.runtime import Runtime
from schemas.base.errors import InputError
from schemas.log.state import StreamState
from schemas.log.streams import StreamId
from schemas.planning.review import plan_decision
from schemas.rules.evaluation import Outcome
from usecases.imports import import_csv
from usecases.letters import send_letter_for
from usecases.notices import send_notice_for
from usecases.respond import accept_response, record_response
from usecases.stages import determine, extend_deadline, request_information
from usecases.status import status_rows

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "programs" / "staged"
PROGRAM = "staged-person"
SLUG = "stockton-ca"
STREAM = StreamId(program=PROGRAM, jurisdiction=SLUG)


def _at(month: int, day: int) -> datetime:
    return datetime(2017, month, day, 12, tzinfo=UTC)


@pytest.fixture
def runtime() -> Runtime:
    """A runtime over a memory store with the seed jurisdictions and the staged fixtures."""
    made = Runtime(Settings(s3_prefix="p/", programs_dir=FIXTURES, signing_key_file=None))
    made.__dict__["store"] = MemoryObjectStore()
    import_csv(made, ROOT / "programs" / "psp-2017" / "examples" / "jurisdictions.csv")
    return made


def _respond(runtime: Runtime, tmp: Path, answer: str, when: datetime) -> None:
    body = {
        "jurisdiction": SLUG,
        "program": PROGRAM,
        "received_at": when.isoformat(),
        "respondent": {"name": "Chief", "title": "Chief of Police"},
        "answers": {
            q: {"answer": answer} for q in ("detention_access", "release_notice", "detainer_hold")
        },
    }
    path = tmp / f"{answer}.json"
    path.write_text(json.dumps(body))
    record_response(runtime, PROGRAM, SLUG, accept_response(runtime, PROGRAM, SLUG, path))


def _advance(runtime: Runtime, when: datetime) -> StreamState:
    bundle = runtime.program(PROGRAM)
    (row,) = [j for j in runtime.registry().values() if j.slug == SLUG]
    state = runtime.log.state(STREAM)
    result = append_planned(
        runtime.log,
        state,
        lambda s: plan_decision(s, bundle, row, as_of=when, known_at=when),
        time=when,
        actor="test",
    )
    return send_notice_for(runtime, bundle, row, result.state, as_of=when, flow_run_id=None).state


def _lettered(runtime: Runtime) -> None:
    bundle = runtime.program(PROGRAM)
    (row,) = [j for j in runtime.registry().values() if j.slug == SLUG]
    send_letter_for(
        runtime, bundle, row, runtime.log.state(STREAM), as_of=_at(8, 3), flow_run_id=None
    )


def awaiting_determination(runtime: Runtime, tmp: Path) -> None:
    """Seed jurisdictions imported; Stockton answered twice and now awaits a person's final."""
    import_csv(runtime, ROOT / "programs" / "psp-2017" / "examples" / "jurisdictions.csv")
    _lettered(runtime)
    _respond(runtime, tmp, "not_applicable", _at(8, 10))
    _advance(runtime, _at(8, 20))
    _respond(runtime, tmp, "yes", _at(8, 25))
    _advance(runtime, _at(8, 26))


def _heads(runtime: Runtime) -> int:
    return runtime.log.state(STREAM).head_seq


def test_preliminary_notice_then_determination_once(runtime: Runtime, tmp_path: Path) -> None:
    """Preliminary ineligible sends one notice; determine records final + award once."""
    _lettered(runtime)
    _respond(runtime, tmp_path, "not_applicable", _at(8, 10))
    state = _advance(runtime, _at(8, 20))
    assert state.notices_sent
    assert state.stage is not None
    assert _advance(runtime, _at(8, 21)).head_seq == state.head_seq  # nothing new
    [row] = status_rows(runtime, PROGRAM, [SLUG], _at(8, 21))
    assert (row["stage"], row["due"], row["step"]) == ("preliminary", "2017-09-04", "preliminary")
    assert "2017-09-04" in row["pending_reason"]
    _respond(runtime, tmp_path, "yes", _at(8, 25))
    _advance(runtime, _at(8, 26))
    act = {"decision": Outcome.ELIGIBLE, "reason": "answered", "actor": "ojp-1", "as_of": _at(9, 1)}
    result = determine(runtime, PROGRAM, SLUG, **act)  # type: ignore[arg-type]
    state = result.state
    assert result.written
    assert (state.final, state.award_action, state.effective_decision) == (
        True,
        "release",
        Outcome.ELIGIBLE,
    )
    head = _heads(runtime)
    assert determine(runtime, PROGRAM, SLUG, **act).written is False  # type: ignore[arg-type]
    assert _heads(runtime) == head
    [row] = status_rows(runtime, PROGRAM, [SLUG], _at(9, 2))
    assert (row["stage"], row["award_action"], row["pending_reason"], row["due"]) == (
        "final",
        "release",
        None,
        None,
    )


def test_bad_acts_write_nothing(runtime: Runtime) -> None:
    """Determining a stream not awaiting one, an unknown question, a due before the letter."""
    _lettered(runtime)
    head = _heads(runtime)
    with pytest.raises(InputError, match="not awaiting a determination"):
        determine(
            runtime,
            PROGRAM,
            SLUG,
            decision=Outcome.INELIGIBLE,
            reason="r",
            actor="a",
            as_of=_at(8, 5),
        )
    with pytest.raises(InputError, match="unknown question id"):
        request_information(
            runtime, PROGRAM, SLUG, questions=("nope",), due=date(2017, 9, 1), reason="r", actor="a"
        )
    with pytest.raises(InputError, match="before the letter"):
        request_information(
            runtime,
            PROGRAM,
            SLUG,
            questions=("detainer_hold",),
            due=date(2017, 7, 1),
            reason="r",
            actor="a",
            as_of=_at(8, 5),
        )
    with pytest.raises(InputError, match="before the deadline in force"):
        extend_deadline(runtime, PROGRAM, SLUG, until=date(2017, 8, 1), reason="r", actor="a")
    assert _heads(runtime) == head


def test_extension_and_information_request_are_idempotent(runtime: Runtime) -> None:
    """The same extension or request again appends nothing."""
    _lettered(runtime)
    act = {"until": date(2017, 9, 1), "reason": "asked", "actor": "ojp-1", "as_of": _at(8, 10)}
    assert extend_deadline(runtime, PROGRAM, SLUG, **act).written  # type: ignore[arg-type]
    head = _heads(runtime)
    assert not extend_deadline(runtime, PROGRAM, SLUG, **act).written  # type: ignore[arg-type]
    assert _heads(runtime) == head
    assert _advance(runtime, _at(8, 25)).decision is None  # nothing decided before it
    ask = {
        "questions": ("detainer_hold",),
        "due": date(2017, 9, 20),
        "reason": "who runs the jail?",
        "actor": "ojp-1",
        "as_of": _at(8, 12),
    }
    result = request_information(runtime, PROGRAM, SLUG, **ask)  # type: ignore[arg-type]
    state = result.state
    assert result.written
    assert state.notices_sent  # the request went out as a notice
    head = _heads(runtime)
    assert not request_information(runtime, PROGRAM, SLUG, **ask).written  # type: ignore[arg-type]
    assert _heads(runtime) == head


def test_the_deployment_path_refuses_a_misdated_response_too(runtime: Runtime) -> None:
    """A Prefect `respond` run records a stored response without the CLI's checks.

    The dates are checked where every path records, so a response dated before the letter
    or in 2099 is refused there (exit 2) and nothing is appended.
    """
    _lettered(runtime)
    head = _heads(runtime)
    for when in (_at(7, 1), datetime(2099, 1, 1, tzinfo=UTC)):
        body = {
            "jurisdiction": SLUG,
            "program": PROGRAM,
            "received_at": when.isoformat(),
            "respondent": {"name": "Chief", "title": "Chief of Police"},
            "answers": {q: {"answer": "yes"} for q in ("detention_access", "release_notice",
                                                        "detainer_hold")},
        }  # fmt: skip
        digest = runtime.documents.put(json.dumps(body).encode())
        with pytest.raises(InputError, match="received"):
            record_response(runtime, PROGRAM, SLUG, digest)
    assert _heads(runtime) == head
