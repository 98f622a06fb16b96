"""Faults on purpose: S3 stopped, the review process SIGKILLed, Prefect restarted, mid-run.

Each fault is injected once a known number of commits is visible in S3 (polled, never a
fixed sleep), so it always lands in the middle of the run. Afterwards the run has completed,
or failed cleanly (exit 3) and a rerun completed; then `audit verify` passes and every
stream is checked straight from S3: gapless, unforked, one letter and one decision each.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mypy_boto3_s3 import S3Client

from benchmarks.generate_jurisdictions import csv_bytes, synthetic_jurisdictions
from benchmarks.reliability_report import (
    LogCheck,
    check_streams,
    count_commits,
    read_streams,
    record_figures,
)
from infra.bucket import ensure_bucket
from infra.prefect_server import PrefectServer
from infra.seaweed import SeaweedServer
from tests.conftest import TEST_BUCKET, CliResult, client_for, run_cli_process

pytestmark = pytest.mark.slow

PROGRAM = "psp-2017"
AFTER_DEADLINE = "2017-09-01"  # letter and no-response decision in one pass
ONE_LETTER_ONE_DECISION = {"grantreview.letter.sent": 1, "grantreview.decision.issued": 1}


def start_review(env: dict[str, str]) -> subprocess.Popen[str]:
    """`grantreview review --all` in a subprocess of its own, as an operator starts it."""
    binary = Path(sys.executable).with_name("grantreview")
    return subprocess.Popen(
        [str(binary), "review", "--program", PROGRAM, "--all", "--as-of", AFTER_DEADLINE],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_commits(
    client: S3Client, prefix: str, at_least: int, process: subprocess.Popen[str]
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
    runs = 1
    if faulted.code != 0:
        rerun = run_cli_process(
            env, "review", "--program", PROGRAM, "--all", "--as-of", AFTER_DEADLINE, "--json"
        )
        runs += 1
        assert rerun.code == 0, (rerun, _tail(store_log))
        assert {row["step"] for row in json.loads(rerun.stdout)} == {"decided"}
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
    server = SeaweedServer(tmp_path / "seaweed").start()
    try:
        ensure_bucket(
            client_for(server, "admin"), TEST_BUCKET, "", lock_mode="GOVERNANCE", lock_days=1
        )
        yield server
    finally:
        server.stop()


def _env(
    s3: SeaweedServer, prefect: PrefectServer, keys: tuple[Path, Path], prefix: str
) -> dict[str, str]:
    return {
        **s3.env("operator"),
        **prefect.env(),
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
    slugs = import_jurisdictions(env, tmp_path, 200)
    admin = client_for(own_seaweed, "admin")
    process = start_review(env)
    wait_for_commits(admin, s3_prefix, 120, process)
    own_seaweed.restart(down_for=5)
    runs = complete_after_fault(
        finish(process), env, killed=False, store_log=own_seaweed.data_dir / "weed.log"
    )
    check = assert_log_intact(env, admin, s3_prefix, slugs)
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
    slugs = import_jurisdictions(cli_env, tmp_path, 100)
    process = start_review(cli_env)
    wait_for_commits(admin_client, s3_prefix, 60, process)
    os.kill(process.pid, signal.SIGKILL)
    runs = complete_after_fault(finish(process), cli_env, killed=True)
    check = assert_log_intact(cli_env, admin_client, s3_prefix, slugs)
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
        env = _env(seaweed, prefect, key_files, s3_prefix)
        slugs = import_jurisdictions(env, tmp_path, 100)
        process = start_review(env)
        wait_for_commits(admin_client, s3_prefix, 40, process)
        prefect.restart()
        runs = complete_after_fault(finish(process), env, killed=False)
        check = assert_log_intact(env, admin_client, s3_prefix, slugs)
    record_figures(
        "1c. Prefect server restarted mid-review (100)", faults=1, runs=runs, check=check
    )
