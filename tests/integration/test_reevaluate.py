"""Reevaluation end to end: the CLI on real SeaweedFS and a real Prefect server."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from mypy_boto3_s3 import S3Client

from infra.eventlog.log import EventLog
from infra.files.programs import load_program
from infra.index.state_index import LoadedStates, index_problems
from infra.runtime import get_runtime
from schemas.events.catalog import LetterSent
from schemas.log.commit import seal_commit
from schemas.log.streams import StreamId
from schemas.planning.reevaluation import reevaluate_stream
from schemas.program.jurisdiction import Jurisdiction
from tasks.reevaluation import read_stream_states
from tests.conftest import Cli, count_objects, run_cli_process
from tests.support.builders import (
    csv_bytes,
    seed_decided_streams,
    synthetic_jurisdictions,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "programs" / "ca-order"
PROGRAM = "psp-2017"


@pytest.fixture
def seeded(cli: Cli, signed_event_log: EventLog, tmp_path: Path) -> list[Jurisdiction]:
    """30 imported jurisdictions with decided (ineligible) streams; the CA-order programs dir."""
    places = synthetic_jurisdictions(30)
    csv_file = tmp_path / "jurisdictions.csv"
    csv_file.write_bytes(csv_bytes(places))
    assert cli("jurisdictions", "import", csv_file).code == 0
    bundle = load_program(FIXTURES, PROGRAM)
    assert seed_decided_streams(signed_event_log, bundle, places, workers=8) == 30
    cli.env["GRANTREVIEW_PROGRAMS_DIR"] = str(FIXTURES)
    return places


def _reevaluate(cli: Cli, as_of: str, *extra: str) -> dict[str, object]:
    result = cli("reevaluate", "--program", PROGRAM, "--as-of", as_of, "--json", *extra)
    assert result.code == 0, result
    document: dict[str, object] = json.loads(result.stdout)
    return document


def _reevaluate_as_a_user(cli: Cli, as_of: str, processes: str) -> dict[str, object]:
    """The CLI in its own process, as operators and schedules run it (its own pool too)."""
    env = {**cli.env, "GRANTREVIEW_APPEND_PROCESSES": processes}
    result = run_cli_process(env, "reevaluate", "--program", PROGRAM, "--as-of", as_of, "--json")
    assert result.code == 0, result
    document: dict[str, object] = json.loads(result.stdout)
    return document


def _commits(client: S3Client, prefix: str, stream: str = "") -> int:
    return count_objects(client, f"{prefix}streams/{PROGRAM}/{stream}")


def test_second_run_appends_only_a_run_record(
    cli: Cli, seeded: list[Jurisdiction], operator_client: S3Client, s3_prefix: str
) -> None:
    """With nothing changed, a run appends one run record and no decision stream moves."""
    first = _reevaluate(cli, "2017-12-01")
    assert first["changes"] == []
    assert first["run_record_seq"] == 0
    before = _commits(operator_client, s3_prefix)
    second = _reevaluate(cli, "2017-12-02")
    assert second["changes"] == []
    assert second["run_record_seq"] == 1
    assert second["index"] == {"indexed": 30, "moved": 0, "read_fully": 0}
    assert _commits(operator_client, s3_prefix) == before + 1
    assert _commits(operator_client, s3_prefix, "_runs/") == 2
    assert second["outcomes_sha256"] == first["outcomes_sha256"]


@pytest.mark.parametrize("processes", ["1", "2"], ids=["threads", "process-pool"])
def test_order_flips_its_scope_and_lifting_flips_back(
    cli: Cli, seeded: list[Jurisdiction], signed_event_log: EventLog, processes: str
) -> None:
    """An order opening between two as-of dates flips exactly CA; its end flips them back.

    Appending from threads of the flow's process, and from Prefect's process pool.
    """
    california = sorted(p.slug for p in seeded if p.state == "CA")
    assert 0 < len(california) < len(seeded)
    assert _reevaluate_as_a_user(cli, "2017-12-01", processes)["changes"] == []
    during = _reevaluate_as_a_user(cli, "2018-02-01", processes)
    changes = during["changes"]
    assert isinstance(changes, list)
    assert [c["jurisdiction"] for c in changes] == california
    assert {(c["before"], c["after"]) for c in changes} == {("ineligible", "eligible")}
    status = json.loads(cli("status", "--program", PROGRAM, "--json").stdout)
    eligible = sorted(row["jurisdiction"] for row in status if row["decision"] == "eligible")
    assert eligible == california
    lifted = _reevaluate_as_a_user(cli, "2018-08-01", processes)
    back = lifted["changes"]
    assert isinstance(back, list)
    assert [c["jurisdiction"] for c in back] == california
    assert {(c["before"], c["after"]) for c in back} == {("eligible", "ineligible")}
    assert index_problems(signed_event_log, PROGRAM) == []


def test_the_append_pool_is_started_before_the_states_are_read_and_never_for_a_dry_run(
    cli: Cli, seeded: list[Jurisdiction], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool's worker starts while the states are read: the flow asks for it first.

    Asked with the registry's size (it decides whether a pool is needed), before the read;
    a dry run writes nothing and asks with 0, so never starts one.
    """
    flow_module = importlib.import_module("flows.reevaluate")
    real_pool = flow_module.WriterPool
    real_read = flow_module.read_stream_states
    seen: list[tuple[str, int]] = []

    class RecordedPool(real_pool):  # type: ignore[misc,valid-type]
        def __init__(self, streams: int) -> None:
            seen.append(("pool", streams))
            super().__init__(streams)

    def recorded_read(program: str) -> LoadedStates:
        seen.append(("read", 0))
        loaded: LoadedStates = real_read(program)
        return loaded

    monkeypatch.setattr("flows.reevaluate.WriterPool", RecordedPool)
    monkeypatch.setattr("flows.reevaluate.read_stream_states", recorded_read)
    _reevaluate(cli, "2018-02-01")
    assert seen == [("pool", len(seeded)), ("read", 0)]
    seen.clear()
    _reevaluate(cli, "2018-08-01", "--dry-run")
    assert seen == [("pool", 0), ("read", 0)]


def test_dry_run_writes_nothing_and_names_every_change(
    cli: Cli, seeded: list[Jurisdiction], operator_client: S3Client, s3_prefix: str
) -> None:
    """`--dry-run` leaves the object count unchanged and lists each change with its reasons."""
    before = count_objects(operator_client, s3_prefix)
    report = _reevaluate(cli, "2018-02-01", "--dry-run")
    assert count_objects(operator_client, s3_prefix) == before
    changes = report["changes"]
    assert isinstance(changes, list)
    assert [c["jurisdiction"] for c in changes] == sorted(p.slug for p in seeded if p.state == "CA")
    assert all(any("hypothetical-ca-order" in reason for reason in c["reasons"]) for c in changes)
    assert report["run_record_seq"] is None


def test_a_stream_moved_after_the_read_is_revised_on_its_new_head(
    cli: Cli,
    seeded: list[Jurisdiction],
    signed_event_log: EventLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A commit lands between the run's read and its write: re-planned, revised once.

    That stream's revision follows the other writer's commit; nothing is lost or forked.
    The conflict is found by the same write task in threads or in the process pool (which
    only carries its outcomes back: see the test above); here it runs in threads.
    """
    cli.env["GRANTREVIEW_APPEND_PROCESSES"] = "1"
    california = sorted(p.slug for p in seeded if p.state == "CA")
    moved = california[0]

    def read_then_rival_commits(program: str) -> LoadedStates:
        loaded = read_stream_states(program)
        state = loaded.states[moved]
        rival = seal_commit(
            stream=state.stream,
            seq=state.head_seq + 1,
            prev=state.head_hash,
            idempotency_key="rival",
            payloads=[
                LetterSent(
                    letter_sha256="b" * 64,
                    letter_date=date(2017, 9, 1),
                    response_due=None,
                    delivery="none",
                )
            ],
            time=datetime(2018, 1, 15, tzinfo=UTC),
            actor="rival",
            signer=get_runtime().log.signer,  # a legitimate rival writer signs as every run does
        )
        assert get_runtime().log.append(rival)
        return loaded

    monkeypatch.setattr("flows.reevaluate.read_stream_states", read_then_rival_commits)
    during = _reevaluate(cli, "2018-02-01")
    changes = during["changes"]
    assert isinstance(changes, list)
    assert [c["jurisdiction"] for c in changes] == california
    commits = signed_event_log.read_stream(StreamId(program=PROGRAM, jurisdiction=moved))
    assert [c.idempotency_key for c in commits][1] == "rival"
    assert [c.events[0]["type"] for c in commits[1:]] == [
        "grantreview.letter.sent",
        "grantreview.decision.revised",
    ]
    assert index_problems(signed_event_log, PROGRAM) == []


def test_the_same_revision_sealed_by_another_run_is_read_back_not_indexed_as_ours(
    cli: Cli,
    seeded: list[Jurisdiction],
    signed_event_log: EventLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another run writes the very revision first, at another time (other bytes, same key).

    The stream gets that one revision, not two; the index records its hash, not ours.
    """
    cli.env["GRANTREVIEW_APPEND_PROCESSES"] = "1"
    place = next(p for p in seeded if p.state == "CA")
    bundle = load_program(FIXTURES, PROGRAM)
    during = datetime(2018, 2, 1, tzinfo=UTC)

    def read_then_other_run_revises(program: str) -> LoadedStates:
        loaded = read_stream_states(program)
        state = loaded.states[place.slug]
        draft = reevaluate_stream(state, bundle, place, as_of=during, known_at=during).draft
        assert draft is not None
        other = draft.seal_on(state, time=datetime(2018, 1, 15, tzinfo=UTC), actor="other-run",
                              flow_run_id=None, signer=get_runtime().log.signer)  # fmt: skip
        assert get_runtime().log.append(other)
        return loaded

    monkeypatch.setattr("flows.reevaluate.read_stream_states", read_then_other_run_revises)
    _reevaluate(cli, "2018-02-01")
    commits = signed_event_log.read_stream(StreamId(program=PROGRAM, jurisdiction=place.slug))
    assert [c.events[0]["type"] for c in commits[1:]] == ["grantreview.decision.revised"]
    assert commits[1].events[0]["gractor"] == "other-run"
    assert index_problems(signed_event_log, PROGRAM) == []
