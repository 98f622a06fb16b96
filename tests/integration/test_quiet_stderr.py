"""A piped review of 400 jurisdictions writes only JSON log lines on stderr, and no pool warning.

Before: nested thread pools (8 chunks x 32 readers) overflowed the 64-connection S3 pool,
and urllib3's "Connection pool is full" came out in Prefect's own format, 342 lines of it.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli_process
from tests.support.builders import csv_bytes, synthetic_jurisdictions

JURISDICTIONS = 400


def test_review_all_of_400_piped_writes_only_json_on_stderr(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """`review --all` of 400 new jurisdictions, piped: exit 0, every stderr line JSON."""
    path = tmp_path / "jurisdictions.csv"
    path.write_bytes(csv_bytes(synthetic_jurisdictions(JURISDICTIONS)))
    assert run_cli_process(cli_env, "jurisdictions", "import", path).code == 0
    env = {**cli_env, "GRANTREVIEW_LOG_LEVEL": "WARNING"}
    result = run_cli_process(
        env, "review", "--all", "-p", "psp-2017", "--as-of", "2017-08-03", "--json", timeout=600
    )
    assert result.code == 0, result.stderr[-2000:]
    assert len(json.loads(result.stdout)) == JURISDICTIONS
    for line in result.stderr.splitlines():
        assert isinstance(json.loads(line), dict), line  # a non-JSON line fails here
    assert "Connection pool is full" not in result.stderr
