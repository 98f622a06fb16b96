"""`grantreview status` reads S3 straight, without importing Prefect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Cli

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"
SEEDS = ["albuquerque-nm", "baltimore-md", "san-bernardino-ca", "stockton-ca"]
STATUS_CEILING_S = 5.0
"""Target is <= 1 s (benchmarks/review.py measures it); with loaded shared cores, a wide bound."""
_RUN_STATUS = (
    "import sys; from cli.main import main; "
    "sys.argv = ['grantreview', 'status', '--program', 'psp-2017', '--json']; main()"
)


def _status(env: dict[str, str], *flags: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *flags, "-c", _RUN_STATUS],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return time.perf_counter() - started, done


def test_status_shows_the_review_without_importing_prefect(
    cli: Cli, cli_env: dict[str, str]
) -> None:
    """Status rows carry step, due date, decision, reasons and last event time; no Prefect."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    assert cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03").code == 0
    for slug in SEEDS[:2]:
        answered = cli(
            "respond", slug, "--program", "psp-2017", "--file", EXAMPLES / f"{slug}.json"
        )
        assert answered.code == 0, answered
    _, traced = _status(cli_env, "-X", "importtime")
    assert traced.returncode == 0, traced.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in traced.stderr.splitlines()}
    assert not {name for name in imported if name.split(".")[0] == "prefect"}
    assert "boto3" in imported  # the trace did record the command's imports
    seconds = min(_status(cli_env)[0] for _ in range(3))
    assert seconds <= STATUS_CEILING_S, f"status took {seconds:.2f} s"
    rows = json.loads(traced.stdout)
    assert [row["jurisdiction"] for row in rows] == SEEDS
    assert [row["step"] for row in rows] == ["decided"] * 2 + ["letter_sent"] * 2
    assert {row["response_due"] for row in rows} == {"2017-08-18"}
    assert [row["decision"] for row in rows] == ["ineligible"] * 2 + ["pending"] * 2
    assert all(row["reasons"] for row in rows[:2])
    assert all(row["last_event_time"] for row in rows)
