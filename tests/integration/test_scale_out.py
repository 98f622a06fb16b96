"""Scale-out: Prefect on PostgreSQL, a process work pool and two workers run a reevaluation."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import cast
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.events.filters import EventFilter, EventNameFilter
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.deploy.workpool import deploy_reevaluation, start_worker, stop_worker
from infra.eventlog.log import EventLog
from infra.identity.keys import load_keyring
from infra.platform.settings import get_settings
from infra.runtime import get_runtime
from localdev.postgres import PostgresServer
from localdev.prefect_server import PrefectServer
from schemas.events.catalog import ReevaluationCompleted, decode_event_data
from schemas.log.commit import parse_commit
from schemas.log.streams import StreamId
from tests.support.builders import (
    csv_bytes,
    seed_decided_streams,
    synthetic_jurisdictions,
)
from usecases.imports import import_csv
from usecases.receipts import checkpoint_now
from usecases.verify import verify_store

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "programs" / "ca-order"
PROGRAM = "psp-2017"
POOL = "grantreview-scale-out"
COUNT = 2000
RANGES = 4


@pytest.fixture(scope="module")
def postgres_prefect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A Prefect server on a fresh PostgreSQL cluster (fails, never skips, without PostgreSQL)."""
    base = tmp_path_factory.mktemp("scale-out")
    with (
        PostgresServer(base / "postgres") as postgres,
        PrefectServer(base / "prefect", database_url=postgres.url) as server,
    ):
        yield server


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    """Context managers entered by the test, exited after it."""
    with ExitStack() as entered:
        yield entered


def _range_runs() -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["reevaluate-range"]))
        )


def _workers_by_run(run_ids: set[UUID], timeout: float = 30) -> dict[UUID, str]:
    """Which worker submitted each flow run, from the workers' `submitted-flow-run` events."""
    found: dict[UUID, str] = {}
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while not run_ids <= set(found) and time.monotonic() < deadline:
            page = client.read_events(
                filter=EventFilter(
                    event=EventNameFilter(name=["prefect.worker.submitted-flow-run"])
                ),
                limit=50,
            )
            for event in page.events:
                for related in event.related:
                    if related.role == "flow-run":
                        run_id = UUID(related.id.removeprefix("prefect.flow-run."))
                        found[run_id] = str(event.resource.name)
            time.sleep(1)
    return found


def test_two_workers_share_a_distributed_reevaluation(
    postgres_prefect: PrefectServer,
    s3_env: dict[str, str],
    signed_event_log: EventLog,
    key_files: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stack: ExitStack,
) -> None:
    """2,000 streams in four range runs on two workers: both work; the log verifies, unforked."""
    env = {
        **s3_env,
        **postgres_prefect.env(),
        "GRANTREVIEW_SIGNING_KEY_FILE": str(key_files[0]),
        "GRANTREVIEW_VERIFY_KEY_FILE": str(key_files[1]),
        "GRANTREVIEW_PROGRAMS_DIR": str(FIXTURES),
        "GRANTREVIEW_LOG_LEVEL": "WARNING",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    api = temporary_settings(updates={PREFECT_API_URL: postgres_prefect.api_url})
    stack.enter_context(api)  # Prefect read its settings at import: this process's client too
    get_settings.cache_clear()
    get_runtime.cache_clear()
    runtime = get_runtime()
    places = synthetic_jurisdictions(COUNT)
    csv_file = tmp_path / "jurisdictions.csv"
    csv_file.write_bytes(csv_bytes(places))
    import_csv(runtime, csv_file)
    assert seed_decided_streams(signed_event_log, runtime.program(PROGRAM), places) == COUNT
    # The seeds carry 2017 recorded times: long past the integration bound, so verify would
    # rightly report them not in the tree. Sweep them in first, as the hourly run would.
    assert checkpoint_now(runtime) is not None
    deploy_reevaluation(POOL, source=ROOT, programs=[PROGRAM], ranges=RANGES)
    with (tmp_path / "workers.log").open("wb") as output:
        workers = [start_worker(POOL, f"worker-{n}", env, output, limit=2) for n in (1, 2)]
        try:
            parent = cast(
                "FlowRun",
                run_deployment(
                    f"reevaluate-distributed/reevaluate-distributed-{PROGRAM}",
                    parameters={"program": PROGRAM, "as_of": "2018-02-01T00:00:00+00:00"},
                    timeout=150,
                    poll_interval=1,
                ),
            )
        finally:
            for worker in workers:
                stop_worker(worker)
    log_text = (tmp_path / "workers.log").read_text(errors="replace")[-4000:]
    assert parent.state is not None, log_text
    assert parent.state.is_completed(), log_text
    ranges = _range_runs()
    assert len(ranges) == RANGES
    assert all(run.state is not None and run.state.is_completed() for run in ranges)
    workers_by_run = _workers_by_run({run.id for run in ranges})
    assert set(workers_by_run.values()) == {"worker-1", "worker-2"}, workers_by_run

    california = {p.slug for p in places if p.state == "CA"}
    keys = list(signed_event_log.store.list_keys(f"{signed_event_log.prefix}streams/{PROGRAM}/"))
    per_stream = Counter(key.rsplit("/", 2)[-2] for key in keys)
    assert per_stream.pop("_runs") == 1
    assert len(per_stream) == COUNT
    assert {slug for slug, commits in per_stream.items() if commits == 2} == california
    assert set(per_stream.values()) == {1, 2}
    revisions = [
        parse_commit(raw)
        for raw in signed_event_log.store.get_many(
            [key for key in keys if key.endswith("/00000000000000000001.json")]
        )
        if raw is not None
    ]
    assert {commit.events[0]["grflowrun"] for commit in revisions} == {
        str(run.id) for run in ranges
    }
    runs = signed_event_log.read_stream(StreamId.runs(PROGRAM))
    event = runs[0].events[0]
    record = decode_event_data(event["type"], event["grschema"], event["data"])
    assert isinstance(record, ReevaluationCompleted)
    assert (record.streams, record.revised) == (COUNT, len(california))
    assert record.unchanged == COUNT - len(california)
    outcomes = json.loads(runtime.documents.get(record.outcomes_sha256) or b"{}")
    assert len(outcomes["outcomes"]) == COUNT
    report = verify_store(
        signed_event_log.store, signed_event_log.prefix, load_keyring(key_files[1]), program=PROGRAM
    )
    assert report.ok, report.findings[:5]
    # Every commit a run wrote is integrated at the end of its run: none awaits the sweep.
    assert report.uncovered_commits == 0
