"""The use cases the CLI and the flows share, over an in-memory store (no S3, no Prefect)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.errors import DependencyUnavailableError
from infra.eventlog.memory_store import MemoryObjectStore
from infra.platform.settings import Settings
from infra.runtime import Runtime
from schemas.base.errors import InputError
from schemas.log.streams import StreamId
from schemas.planning.draft import evaluate_state, response_of
from schemas.rules.engine import evaluate
from schemas.rules.evaluation import Outcome
from usecases.explain import explain
from usecases.imports import import_csv
from usecases.override import check_override, record_override
from usecases.registry import UnknownJurisdictionError, require_imported
from usecases.respond import accept_response, record_and_announce
from usecases.review import check_review
from usecases.status import status_rows

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "programs" / "psp-2017" / "examples"
PROGRAM = "psp-2017"
SEEDS = ["albuquerque-nm", "baltimore-md", "san-bernardino-ca", "stockton-ca"]
AS_OF = datetime(2017, 9, 1, tzinfo=UTC)


@pytest.fixture
def runtime() -> Runtime:
    """A runtime over a memory store holding the four seed jurisdictions; no signing key."""
    made = Runtime(Settings(s3_prefix="p/", programs_dir=ROOT / "programs", signing_key_file=None))
    made.__dict__["store"] = MemoryObjectStore()  # the cached adapter, replaced before use
    assert import_csv(made, EXAMPLES / "jurisdictions.csv")["recorded"] == 4
    return made


def _keys(runtime: Runtime) -> list[str]:
    return list(runtime.store.list_keys("p/"))


def test_require_imported_keeps_order_once_each_and_none_means_all(runtime: Runtime) -> None:
    """Named slugs come back in the order given, once each; None is every imported one."""
    named = require_imported(runtime, ["stockton-ca", "albuquerque-nm", "stockton-ca"])
    assert [row.slug for row in named] == ["stockton-ca", "albuquerque-nm"]
    assert [row.slug for row in require_imported(runtime, None)] == SEEDS


def test_every_command_refuses_a_never_imported_slug_in_its_own_words(runtime: Runtime) -> None:
    """review/respond hint at the import; status lists; explain/override name the one slug."""
    with pytest.raises(UnknownJurisdictionError) as review:
        check_review(runtime, PROGRAM, ["chicago-il", "stockton-ca", "gary-in"])
    assert str(review.value) == (
        "jurisdiction(s) never imported: chicago-il, gary-in "
        "(see `grantreview jurisdictions import`)"
    )
    with pytest.raises(InputError, match=r"^jurisdiction\(s\) never imported: chicago-il$"):
        status_rows(runtime, PROGRAM, ["chicago-il"])
    with pytest.raises(InputError, match=r"^jurisdiction never imported: chicago-il$"):
        explain(runtime, PROGRAM, "chicago-il", as_of=AS_OF, known_at=None)
    before = _keys(runtime)
    with pytest.raises(InputError, match=r"^jurisdiction never imported: chicago-il$"):
        record_override(
            runtime, PROGRAM, "chicago-il", decision=Outcome.ELIGIBLE, reason="r", actor="a"
        )
    assert _keys(runtime) == before


def test_a_response_for_a_never_imported_jurisdiction_stores_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    """accept_response checks the registry before the bytes are stored."""
    path = tmp_path / "chicago-il.json"
    path.write_bytes(
        (EXAMPLES / "stockton-ca.json").read_bytes().replace(b"stockton-ca", b"chicago-il")
    )
    before = _keys(runtime)
    with pytest.raises(UnknownJurisdictionError, match="never imported: chicago-il"):
        accept_response(runtime, PROGRAM, "chicago-il", path)
    assert _keys(runtime) == before


@pytest.mark.parametrize(
    ("decision", "reason", "actor", "message"),
    [
        ("pending", "why", "who", "--decision must be eligible or ineligible"),
        ("eligible", " ", "who", "--reason must be 1-5000 characters"),
        ("eligible", "x" * 5001, "who", "--reason must be 1-5000 characters"),
        ("ineligible", "why", "", "--actor must be 1-200 characters"),
        ("ineligible", "why", "x" * 201, "--actor must be 1-200 characters"),
    ],
)
def test_check_override_refuses_bad_input(
    decision: str, reason: str, actor: str, message: str
) -> None:
    """Each bad field is refused with the CLI's message, before any runtime exists."""
    with pytest.raises(InputError) as refused:
        check_override(decision, reason, actor)
    assert str(refused.value) == message


def test_override_is_recorded_once_and_explain_reports_it(runtime: Runtime) -> None:
    """The same override twice writes one commit; explain shows it beside the evaluation."""
    outcome = check_override("eligible", "court order", "analyst")
    first = record_override(
        runtime, PROGRAM, "stockton-ca", decision=outcome, reason="court order", actor="analyst"
    )
    again = record_override(
        runtime, PROGRAM, "stockton-ca", decision=outcome, reason="court order", actor="analyst"
    )
    assert (first.written, again.written) == (True, False)
    found = explain(runtime, PROGRAM, "stockton-ca", as_of=AS_OF, known_at=None)
    assert found.when == AS_OF
    assert found.override is not None
    assert (found.override.decision, found.override.actor) == (Outcome.ELIGIBLE, "analyst")
    assert found.evaluation.as_of == found.evaluation.known_at == AS_OF


def test_record_and_announce_announces_while_undecided(runtime: Runtime) -> None:
    """The response is recorded once and announced on every run until a decision is made."""
    digest = accept_response(runtime, PROGRAM, "stockton-ca", EXAMPLES / "stockton-ca.json")
    sent: list[tuple[str, str, str, str]] = []

    def announce(event: str, program: str, jurisdiction: str, sha: str) -> None:
        sent.append((event, program, jurisdiction, sha))

    first = record_and_announce(runtime, PROGRAM, "stockton-ca", digest, announce)
    again = record_and_announce(runtime, PROGRAM, "stockton-ca", digest, announce)
    assert (first.written, again.written) == (True, False)
    assert first.event == again.event == "grantreview.response.received"
    assert sent == [("grantreview.response.received", PROGRAM, "stockton-ca", digest)] * 2


def test_an_announcement_that_fails_says_the_response_was_recorded(runtime: Runtime) -> None:
    """A Prefect API that is down is exit 3, and the message says what to do."""
    digest = accept_response(runtime, PROGRAM, "stockton-ca", EXAMPLES / "stockton-ca.json")

    def down(*_: str) -> None:
        raise DependencyUnavailableError("the Prefect event could not be sent (refused)")

    with pytest.raises(DependencyUnavailableError) as failed:
        record_and_announce(runtime, PROGRAM, "stockton-ca", digest, down)
    assert str(failed.value) == (
        "response recorded, but the Prefect event could not be sent (refused); "
        "run the same command again to re-send it"
    )
    state = runtime.log.state(StreamId(program=PROGRAM, jurisdiction="stockton-ca"))
    assert state.response_sha == digest


def test_evaluate_state_is_evaluate_on_the_response_in_force(runtime: Runtime) -> None:
    """One call for decide, reevaluate and explain: the state's response and its hash."""
    digest = accept_response(runtime, PROGRAM, "stockton-ca", EXAMPLES / "stockton-ca.json")
    record_and_announce(runtime, PROGRAM, "stockton-ca", digest, lambda *_: None)
    state = runtime.log.state(StreamId(program=PROGRAM, jurisdiction="stockton-ca"))
    bundle = runtime.program(PROGRAM)
    (place,) = require_imported(runtime, ["stockton-ca"])
    expected = evaluate(
        bundle,
        place,
        response_of(state),
        response_sha256=digest,
        as_of=AS_OF,
        known_at=AS_OF,
    )
    assert evaluate_state(bundle, place, state, as_of=AS_OF, known_at=AS_OF) == expected
