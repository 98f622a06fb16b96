"""Reliability figures: run the fault scenarios, collect their figures, print the table.

The fault, concurrency and least-privilege tests (tests/integration/test_faults.py,
test_concurrency.py, test_least_privilege.py) check every stream with
`tests.support.log_checks.check_streams` and, when GRANTREVIEW_RELIABILITY_DIR is set,
record their figures there as one JSON file per scenario (`tests.support.figures`). This
script runs those tests together with the hostile-input and secrets tests, then prints the
table of docs/reliability.md (and with --write replaces it there).

Usage: python -m benchmarks.reliability_report [--write]   (from the repo root; ~3 min)
"""

from __future__ import annotations

import argparse
import json
import os
import re
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
# tests/e2e/test_hostile_cli.py::test_hostile_ids_write_nothing: 6 bad ids x 3 commands.
_CLI_BAD_ID_RUNS = 18


_OUTCOME = re.compile(r"^(\S+::\S+) (PASSED|FAILED|ERROR|SKIPPED)", re.MULTILINE)


def _outcomes(pytest_output: str) -> dict[str, str]:
    """Test id -> outcome, from `pytest -v` progress lines."""
    return dict(_OUTCOME.findall(pytest_output))


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
    arguments = parser.parse_args(argv)
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
                *SCENARIO_TESTS,
                *HOSTILE_TESTS,
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
    table = _table(figures, _hostile_inputs(output, outcomes), crashes, len(failed))
    print(table)
    if failed:  # the table counts them; the failures themselves are what to read next
        sys.stderr.write(output[max(0, output.find("= FAILURES =")) :][-20_000:])
    if arguments.write:
        text = DOC.read_text()
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
        DOC.write_text(f"{text[:start]}\n{table}\n{text[end:]}")
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
