"""Faults on purpose: S3 stopped, the review process or a worker killed, Prefect restarted.

Each fault is injected once a known number of commits is visible in S3 (polled, never a
fixed sleep), so it always lands in the middle of the run. Afterwards the run has completed,
or failed cleanly (exit 3) and a rerun completed; then `audit verify` passes and every
stream is checked straight from S3: gapless, unforked, one letter and one decision each.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import pytest
from mypy_boto3_s3 import S3Client
from prefect import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.deploy.workpool import deploy_review, start_worker, stop_worker, wait_for_flow_runs
from infra.platform.settings import REPO_PROGRAMS_DIR
from localdev.prefect_server import PrefectServer
from localdev.seaweed import SeaweedServer
from tests.conftest import (
    TEST_BUCKET,
    CliResult,
    client_for,
    run_cli_process,
    seaweed_with_bucket,
)
from tests.support.builders import csv_bytes, synthetic_jurisdictions
from tests.support.figures import record_figures
from tests.support.log_checks import LogCheck, check_streams, count_commits, read_streams
from tests.support.programs import one_stage_copy

pytestmark = pytest.mark.slow

PROGRAM = "psp-2017"
LETTER_DATE = "2017-08-03"  # the faulted run sends the letters (a letter overdue is refused)
AFTER_DEADLINE = "2017-09-01"  # then the no-response decisions
ROOT = Path(__file__).resolve().parents[2]
POOL = "grantreview-faults"
LOST_AFTER_S = 45  # the heartbeat is 30 s; production waits 90 s (three missed beats)
ONE_LETTER_ONE_DECISION = {"grantreview.letter.sent": 1, "grantreview.decision.issued": 1}


def start_review(env: dict[str, str]) -> subprocess.Popen[str]:
    """`grantreview review --all` in a subprocess of its own, as an operator starts it."""
    binary = Path(sys.executable).with_name("grantreview")
    return subprocess.Popen(
        [str(binary), "review", "--program", PROGRAM, "--all", "--as-of", LETTER_DATE],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_commits(
    client: S3Client, prefix: str, at_least: int, process: subprocess.Popen[Any]
) -> int:
    """Poll the listing until `at_least` commits are visible (the run is surely mid-way)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        seen = count_commits(client, TEST_BUCKET, prefix, PROGRAM)
        if seen >= at_least:
            return seen
        assert process.poll() is None, "the run ended before the fault could be injected"
        time.sleep(0.05)
    pytest.fail(f"fewer than {at_least} commits after 90 s")


def finish(process: subprocess.Popen[str]) -> CliResult:
    """Wait for the faulted run and return what it left."""
    stdout, stderr = process.communicate(timeout=180)
    return CliResult(process.returncode, stdout, stderr)


def complete_after_fault(
    faulted: CliResult, env: dict[str, str], *, killed: bool, store_log: Path | None = None
) -> int:
    """Accept a completed or cleanly failed run, rerun until complete; return how many runs."""
    if killed:
        assert faulted.code == -signal.SIGKILL
    elif faulted.code != 0:
        assert faulted.code == 3, faulted
        assert faulted.stderr.rstrip().splitlines()[-1].startswith("error: "), faulted.stderr
        assert "Traceback" not in faulted.stderr, faulted.stderr
    runs = 1
    if faulted.code != 0:
        rerun = run_cli_process(
            env, "review", "--program", PROGRAM, "--all", "--as-of", LETTER_DATE, "--json"
        )
        runs += 1
        assert rerun.code == 0, (rerun, _tail(store_log))
        assert {row["step"] for row in json.loads(rerun.stdout)} == {"letter_sent"}
    decided = run_cli_process(
        env, "review", "--program", PROGRAM, "--all", "--as-of", AFTER_DEADLINE, "--json"
    )
    assert decided.code == 0, (decided, _tail(store_log))
    assert {row["step"] for row in json.loads(decided.stdout)} == {"decided"}
    return runs


def _tail(log: Path | None, lines: int = 40) -> str:
    """The end of a service log, for a failure message."""
    if log is None or not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def assert_log_intact(
    env: dict[str, str], client: S3Client, prefix: str, slugs: list[str]
) -> LogCheck:
    """`audit verify` passes and every stream holds exactly one letter and one decision."""
    verified = run_cli_process(env, "audit", "verify", "--json")
    assert verified.code == 0, verified
    report = json.loads(verified.stdout)
    assert report["ok"] is True
    assert report["findings"] == []
    facts = read_streams(client, TEST_BUCKET, prefix, PROGRAM)
    check = check_streams(facts, dict.fromkeys(slugs, ONE_LETTER_ONE_DECISION))
    assert check.intact, check.problems
    assert sorted(facts) == sorted(slugs)
    assert check.commits == 2 * len(slugs)
    return check


def import_jurisdictions(env: dict[str, str], tmp_path: Path, count: int) -> list[str]:
    """Import `count` synthetic jurisdictions; return their slugs."""
    rows = synthetic_jurisdictions(count)
    path = tmp_path / "jurisdictions.csv"
    path.write_bytes(csv_bytes(rows))
    imported = run_cli_process(env, "jurisdictions", "import", path)
    assert imported.code == 0, imported
    return [row.slug for row in rows]


@pytest.fixture
def own_seaweed(tmp_path: Path) -> Iterator[SeaweedServer]:
    """A SeaweedFS of this test's own, so stopping it disturbs no other test."""
    with seaweed_with_bucket(tmp_path / "seaweed") as server:
        yield server


def review_through_fault(
    env: dict[str, str],
    client: S3Client,
    prefix: str,
    tmp_path: Path,
    *,
    count: int,
    fault_after: int,
    fault: Callable[[subprocess.Popen[str]], object],
    killed: bool = False,
    store_log: Path | None = None,
) -> tuple[int, LogCheck]:
    """`review --all` of `count`; `fault` once `fault_after` commits are in; rerun, check."""
    slugs = import_jurisdictions(env, tmp_path, count)
    process = start_review(env)
    wait_for_commits(client, prefix, fault_after, process)
    fault(process)
    runs = complete_after_fault(finish(process), env, killed=killed, store_log=store_log)
    return runs, assert_log_intact(env, client, prefix, slugs)


@functools.cache
def _one_stage_programs() -> Path:
    """The shipped programs without review paths: these runs decide in one round."""
    return one_stage_copy(REPO_PROGRAMS_DIR, Path(tempfile.mkdtemp()) / "programs")


def _env(
    s3: SeaweedServer, prefect: PrefectServer, keys: tuple[Path, Path], prefix: str
) -> dict[str, str]:
    return {
        "GRANTREVIEW_PROGRAMS_DIR": str(_one_stage_programs()),
        **s3.env("operator"),
        **prefect.env(),
        # what an operator sees: the CLI's default, Prefect's own lines silenced
        "PREFECT_LOGGING_LEVEL": "CRITICAL",
        "GRANTREVIEW_S3_BUCKET": TEST_BUCKET,
        "GRANTREVIEW_S3_PREFIX": prefix,
        "GRANTREVIEW_OBJECT_LOCK_DAYS": "1",
        "GRANTREVIEW_SIGNING_KEY_FILE": str(keys[0]),
        "GRANTREVIEW_VERIFY_KEY_FILE": str(keys[1]),
    }


def test_s3_stopped_for_5s_mid_review_loses_and_duplicates_nothing(
    own_seaweed: SeaweedServer,
    prefect_server: PrefectServer,
    key_files: tuple[Path, Path],
    s3_prefix: str,
    tmp_path: Path,
) -> None:
    """S3 down for 5 s in the middle of `review --all` of 200: the log ends intact and complete."""
    env = _env(own_seaweed, prefect_server, key_files, s3_prefix)
    runs, check = review_through_fault(
        env,
        client_for(own_seaweed, "admin"),
        s3_prefix,
        tmp_path,
        count=200,
        fault_after=120,
        fault=lambda _: own_seaweed.restart(down_for=5),
        store_log=own_seaweed.data_dir / "weed.log",
    )
    record_figures(
        "1a. S3 stopped 5 s mid-review (200 jurisdictions)", faults=1, runs=runs, check=check
    )


def test_review_process_killed_mid_run_then_rerun_loses_and_duplicates_nothing(
    seaweed: SeaweedServer,
    admin_client: S3Client,
    cli_env: dict[str, str],
    s3_prefix: str,
    tmp_path: Path,
) -> None:
    """A review process SIGKILLed mid-run, then rerun: still one letter and one decision each."""
    runs, check = review_through_fault(
        cli_env,
        admin_client,
        s3_prefix,
        tmp_path,
        count=100,
        fault_after=60,
        fault=lambda process: os.kill(process.pid, signal.SIGKILL),
        killed=True,
    )
    record_figures(
        "1b. review process SIGKILLed mid-run, rerun (100)", faults=1, runs=runs, check=check
    )


def test_prefect_server_restarted_mid_review_loses_and_duplicates_nothing(
    seaweed: SeaweedServer,
    admin_client: S3Client,
    key_files: tuple[Path, Path],
    s3_prefix: str,
    tmp_path: Path,
) -> None:
    """The Prefect server restarted mid-review (same port, same database): the log ends intact."""
    with PrefectServer(tmp_path / "prefect") as prefect:
        runs, check = review_through_fault(
            _env(seaweed, prefect, key_files, s3_prefix),
            admin_client,
            s3_prefix,
            tmp_path,
            count=100,
            fault_after=40,
            fault=lambda _: prefect.restart(),
        )
    record_figures(
        "1c. Prefect server restarted mid-review (100)", faults=1, runs=runs, check=check
    )


def _descendants(pid: int) -> list[int]:
    """Every live process below `pid` (from /proc), children before grandchildren."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    frontier = [pid]
    while frontier:
        children = [child for parent in frontier for child in parents.get(parent, [])]
        found += children
        frontier = children
    return found


def _kill_host(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL a worker and every process it started, as when their host dies."""
    for pid in [worker.pid, *_descendants(worker.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    worker.wait()


def _state_names(run_id: UUID) -> list[str]:
    """Every state the flow run went through, oldest first."""
    with get_client(sync_client=True) as client:
        return [state.name or "" for state in client.read_flow_run_states(run_id)]


def _pool_review(
    prefect: PrefectServer,
    stack: ExitStack,
    context: tuple[SeaweedServer, Path, str, tuple[Path, Path]],
) -> tuple[dict[str, str], list[str], subprocess.Popen[bytes], FlowRun]:
    """Deploy `review` to a pool, start one worker and a run of 200; return once mid-run."""
    seaweed, tmp_path, s3_prefix, keys = context
    env = {
        **_env(seaweed, prefect, keys, s3_prefix),
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",  # the workers' log explains a failure
        "GRANTREVIEW_LOG_LEVEL": "INFO",  # the run writes to the worker's pipe all along
    }
    stack.enter_context(temporary_settings(updates={PREFECT_API_URL: prefect.api_url}))
    slugs = import_jurisdictions(env, tmp_path, 200)
    deploy_review(POOL, source=ROOT, lost_after=LOST_AFTER_S)
    output = stack.enter_context((tmp_path / "workers.log").open("wb"))
    worker = start_worker(POOL, "worker-1", env, output)
    stack.callback(stop_worker, worker)
    run = cast(
        "FlowRun",
        run_deployment(
            "review/review-pool",
            parameters={"program": PROGRAM, "as_of": f"{AFTER_DEADLINE}T00:00:00+00:00"},
            timeout=0,
        ),
    )
    wait_for_commits(client_for(seaweed, "admin"), s3_prefix, 120, worker)
    return env, slugs, worker, run


def _rerun_finished(run_id: UUID, *, timeout: float) -> FlowRun:
    """The lost run once it is final and not Crashed, or as it is after `timeout` s.

    The lost-run automation sets Crashed, then the run's retries set AwaitingRetry: a poll
    between the two sees a final state that is not the end (a race the suite hit once).
    """
    deadline = time.monotonic() + timeout
    while True:
        (run,) = wait_for_flow_runs([run_id], timeout=max(1.0, deadline - time.monotonic()))
        crashed = run.state is not None and run.state.is_crashed()
        if not crashed or time.monotonic() > deadline:
            return run
        time.sleep(2)


def test_worker_lost_mid_review_prefect_runs_it_again(
    seaweed: SeaweedServer,
    admin_client: S3Client,
    key_files: tuple[Path, Path],
    s3_prefix: str,
    tmp_path: Path,
) -> None:
    """A worker and its flow-run process SIGKILLed mid-review: Prefect reruns it, all holds.

    The run is a `review --all` of 200 on the pool; once 120 commits are in S3 the first
    worker and everything it started are killed (as when their host dies). The lost-run
    automation sees the heartbeats stop and sets the run to AwaitingRetry; a second worker
    runs it again.
    """
    with PrefectServer(tmp_path / "prefect") as prefect, ExitStack() as stack:
        context = (seaweed, tmp_path, s3_prefix, key_files)
        env, slugs, first, run = _pool_review(prefect, stack, context)
        _kill_host(first)
        output = stack.enter_context((tmp_path / "workers.log").open("ab"))
        second = start_worker(POOL, "worker-2", env, output)
        stack.callback(stop_worker, second)
        finished = _rerun_finished(run.id, timeout=LOST_AFTER_S + 150)
        states = _state_names(run.id)
        log_text = (tmp_path / "workers.log").read_text(errors="replace")[-3000:]
        assert finished.state is not None
        assert finished.state.is_completed(), (states, log_text)
        assert states.index("Crashed") < states.index("AwaitingRetry"), states
        assert finished.run_count >= 2, states
        check = assert_log_intact(env, admin_client, s3_prefix, slugs)
    record_figures(
        "1d. worker and its flow run SIGKILLed mid-review, Prefect reran it (200)",
        faults=1,
        runs=finished.run_count,
        check=check,
    )


def test_worker_alone_killed_mid_review_its_run_still_completes(
    seaweed: SeaweedServer,
    admin_client: S3Client,
    key_files: tuple[Path, Path],
    s3_prefix: str,
    tmp_path: Path,
) -> None:
    """Only the worker SIGKILLed: its orphaned run completes, or crashes and is run again.

    Which of the two happens is Prefect's (the orphan may notice its supervisor is gone);
    either way the run ends `Completed` and the log is intact. Before log lines with no
    reader were dropped, the orphan failed with BrokenPipeError and was not retried.
    """
    with PrefectServer(tmp_path / "prefect") as prefect, ExitStack() as stack:
        context = (seaweed, tmp_path, s3_prefix, key_files)
        env, slugs, worker, run = _pool_review(prefect, stack, context)
        worker.kill()  # the worker only: its flow-run process lives in a session of its own
        worker.wait()
        output = stack.enter_context((tmp_path / "workers.log").open("ab"))
        second = start_worker(POOL, "worker-2", env, output)
        stack.callback(stop_worker, second)
        finished = _rerun_finished(run.id, timeout=LOST_AFTER_S + 150)
        states = _state_names(run.id)
        assert finished.state is not None
        assert finished.state.is_completed(), (states, finished.state.message)
        assert "Failed" not in states, states
        check = assert_log_intact(env, admin_client, s3_prefix, slugs)
    record_figures(
        "1e. worker alone SIGKILLed mid-review, its run completed (200)",
        faults=1,
        runs=finished.run_count,
        check=check,
        note=" -> ".join(states),
    )
