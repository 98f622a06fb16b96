"""Reliability figures: run the fault scenarios, collect their figures, print the table.

The fault, concurrency and least-privilege tests (tests/integration/test_faults.py,
test_concurrency.py, test_least_privilege.py) check every stream with
`tests.support.log_checks.check_streams` and, when GRANTREVIEW_RELIABILITY_DIR is set,
record their figures there as one JSON file per scenario (`tests.support.figures`). This
script runs those tests together with the hostile-input and secrets tests, then prints the
table of docs/reliability.md (and with --write replaces it there). The insider scenarios
of issue #13 (planted objects, forged commits and checkpoints, oversized objects, a stale
copy, a failing flow's output) get a second table: each test's outcome and seconds, and
the run's peak memory; `--insider-only` runs just those (the rest takes minutes more).

Usage: python -m benchmarks.reliability_report [--write] [--insider-only]   (repo root; ~5 min)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.support.figures import FIGURES_DIR_ENV

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- reliability-table:begin -->", "<!-- reliability-table:end -->"
INSIDER_BEGIN, INSIDER_END = "<!-- insider-table:begin -->", "<!-- insider-table:end -->"
SCENARIO_TESTS = [
    "tests/integration/test_faults.py",
    "tests/integration/test_concurrency.py",
    "tests/integration/test_least_privilege.py",
]
HOSTILE_TESTS = [
    "tests/unit/test_hostile_inputs.py",
    "tests/unit/test_hostile_values.py",
    "tests/unit/test_offline_copy.py",
    "tests/unit/test_exit_codes.py",
    "tests/unit/test_cli_parsers_properties.py",
    "tests/e2e/test_hostile_cli.py",
    "tests/integration/test_secrets.py",
]
INSIDER_TESTS = [
    "tests/unit/test_insider_objects.py",
    "tests/unit/test_damaged_catchup.py",
    "tests/unit/test_read_caps.py",
    "tests/unit/test_commit_signature.py",
    "tests/integration/test_signed_commits.py",
    "tests/integration/test_insider_objects.py",
    "tests/integration/test_insider_rest.py",
    "tests/e2e/test_flow_failure_one_line.py",
]
"""Issue #13's insider scenarios (H1-H5, M4 on SeaweedFS, one line from a failing flow)."""
# tests/e2e/test_hostile_cli.py::test_hostile_ids_write_nothing: 6 bad ids x 3 commands.
_CLI_BAD_ID_RUNS = 18


_OUTCOME = re.compile(r"^(\S+::\S+) (PASSED|FAILED|ERROR|SKIPPED)", re.MULTILINE)


_DURATION = re.compile(r"^\s*([\d.]+)s call\s+(\S+::\S+)$", re.MULTILINE)


def _outcomes(pytest_output: str) -> dict[str, str]:
    """Test id -> outcome, from `pytest -v` progress lines."""
    return dict(_OUTCOME.findall(pytest_output))


def _insider_table(pytest_output: str, outcomes: dict[str, str], peak_mib: int) -> str:
    """One row per insider test: its outcome and the seconds its call took."""
    seconds = {test: float(value) for value, test in _DURATION.findall(pytest_output)}
    lines = ["| insider scenario (test) | outcome | seconds |", "|---|---|---:|"]
    lines.extend(
        f"| `{test}` | {outcome} | {seconds.get(test, 0.0):.2f} |"
        for test, outcome in outcomes.items()
        if test.split("::")[0] in INSIDER_TESTS
    )
    lines.extend(["", f"Peak memory of the test process: {peak_mib} MiB."])
    return "\n".join(lines)


def _replace(text: str, begin: str, end: str, table: str) -> str:
    start, stop = text.index(begin) + len(begin), text.index(end)
    return f"{text[:start]}\n{table}\n{text[stop:]}"


def _hostile_inputs(pytest_output: str, outcomes: dict[str, str]) -> int:
    """Generated examples (Hypothesis statistics) plus every kept corpus entry and bad id."""
    generated = sum(
        int(passing) + int(failing)
        for passing, failing in re.findall(r"(\d+) passing, (\d+) failing", pytest_output)
    )
    corpus = sum(1 for path in (ROOT / "tests" / "corpus").rglob("*") if path.is_file())
    unit_ids = sum(1 for test in outcomes if "test_known_bad_ids_are_refused[" in test)
    # Each corpus file goes through the parser (unit) and the real CLI (e2e).
    return generated + 2 * corpus + unit_ids + _CLI_BAD_ID_RUNS


def _table(figures: list[dict[str, Any]], hostile: int, crashes: int, failed: int) -> str:
    lines = [
        (
            "| scenario | faults injected | runs | streams | commits checked "
            "| events lost | duplicated | note |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    lines.extend(
        f"| {item['scenario']} | {item['faults']} | {item['runs']} | {item['streams']} "
        f"| {item['commits']} | {item['lost']} | {item['duplicated']} | {item['note']} |"
        for item in figures
    )
    total = {
        key: sum(int(item[key]) for item in figures)
        for key in ("faults", "runs", "commits", "lost", "duplicated")
    }
    lines.append(
        f"| **total** | **{total['faults']}** | **{total['runs']}** | | **{total['commits']}** "
        f"| **{total['lost']}** | **{total['duplicated']}** | |"
    )
    lines.extend(
        [
            "",
            "| hostile inputs tried | crashes (exit 70 or traceback) | failed tests |",
            "|---:|---:|---:|",
            f"| {hostile} | {crashes} | {failed} |",
        ]
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and hostile-input tests, print the table, optionally write the doc."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reliability_report")
    parser.add_argument("--write", action="store_true", help=f"replace the table in {DOC}")
    parser.add_argument(
        "--insider-only", action="store_true", help="run only issue #13's insider scenarios"
    )
    arguments = parser.parse_args(argv)
    files = (
        INSIDER_TESTS
        if arguments.insider_only
        else [*SCENARIO_TESTS, *HOSTILE_TESTS, *INSIDER_TESTS]
    )
    with tempfile.TemporaryDirectory(prefix="reliability-") as directory:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-v",
                "-p",
                "no:cacheprovider",
                "--hypothesis-show-statistics",
                "--durations=0",
                "--durations-min=0",
                *files,
            ],
            env={**os.environ, FIGURES_DIR_ENV: directory},
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        figures = [json.loads(path.read_text()) for path in sorted(Path(directory).glob("*.json"))]
    output = done.stdout + done.stderr
    outcomes = _outcomes(output)
    failed = [test for test, outcome in outcomes.items() if outcome in {"FAILED", "ERROR"}]
    crashes = sum(1 for test in failed if test.split("::")[0] in HOSTILE_TESTS)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024  # KiB on Linux
    insider = _insider_table(output, outcomes, peak_mib)
    table = None
    if not arguments.insider_only:
        table = _table(figures, _hostile_inputs(output, outcomes), crashes, len(failed))
        print(table)
    print(insider)
    if failed:  # the table counts them; the failures themselves are what to read next
        sys.stderr.write(output[max(0, output.find("= FAILURES =")) :][-20_000:])
    if arguments.write:
        text = _replace(DOC.read_text(), INSIDER_BEGIN, INSIDER_END, insider)
        DOC.write_text(text if table is None else _replace(text, BEGIN, END, table))
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
