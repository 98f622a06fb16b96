"""Reliability figures: check a log's streams after a fault, record the figures, print the table.

The fault, concurrency and least-privilege tests (tests/integration/test_faults.py,
test_concurrency.py, test_least_privilege.py) check every stream with `check_streams` and,
when GRANTREVIEW_RELIABILITY_DIR is set, record their figures there as one JSON file per
scenario. This script runs those tests together with the hostile-input and secrets tests,
then prints the table of docs/reliability.md (and with --write replaces it there).

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
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schemas.commit import GENESIS, parse_commit

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "FIGURES_DIR_ENV",
    "LogCheck",
    "StreamFacts",
    "check_streams",
    "count_commits",
    "main",
    "read_streams",
    "record_figures",
]

FIGURES_DIR_ENV = "GRANTREVIEW_RELIABILITY_DIR"
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
    "tests/e2e/test_hostile_cli.py",
    "tests/integration/test_secrets.py",
]
# tests/e2e/test_hostile_cli.py::test_hostile_ids_write_nothing: 6 bad ids x 3 commands.
_CLI_BAD_ID_RUNS = 18


@dataclass(frozen=True)
class StreamFacts:
    """One stream as stored: its commits in order, and how many object versions hold them."""

    jurisdiction: str
    seqs: tuple[int, ...]
    idempotency_keys: tuple[str, ...]
    types: Counter[str]
    events: tuple[dict[str, Any], ...]
    chained: bool
    versions: int
    delete_markers: int


@dataclass
class LogCheck:
    """What the direct checks found: figures for the table and the problems to report."""

    streams: int = 0
    commits: int = 0
    lost: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Nothing lost, nothing duplicated, no other problem."""
        return self.lost == 0 and self.duplicated == 0 and not self.problems


def _stream_versions(
    client: S3Client, bucket: str, root: str
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Per jurisdiction: versions per commit key, and delete markers (every version listed)."""
    versions: dict[str, dict[str, int]] = {}
    markers: Counter[str] = Counter()
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=root):
        for version in page.get("Versions", []):
            jurisdiction, _, name = version["Key"][len(root) :].partition("/")
            per_key = versions.setdefault(jurisdiction, {})
            per_key[name] = per_key.get(name, 0) + 1
        for marker in page.get("DeleteMarkers", []):
            markers[marker["Key"][len(root) :].partition("/")[0]] += 1
    return versions, dict(markers)


def read_streams(
    client: S3Client, bucket: str, prefix: str, program: str
) -> dict[str, StreamFacts]:
    """Every stream of `program` under `prefix`, read straight from S3 (not through our log)."""
    root = f"{prefix}streams/{program}/"
    versions, markers = _stream_versions(client, bucket, root)
    facts: dict[str, StreamFacts] = {}
    for jurisdiction, per_key in sorted(versions.items()):
        commits = [
            parse_commit(
                client.get_object(Bucket=bucket, Key=f"{root}{jurisdiction}/{name}")["Body"].read()
            )
            for name in sorted(per_key)
        ]
        chained = all(
            commit.prev == (GENESIS if index == 0 else commits[index - 1].hash)
            for index, commit in enumerate(commits)
        )
        events = tuple(event for commit in commits for event in commit.events)
        facts[jurisdiction] = StreamFacts(
            jurisdiction=jurisdiction,
            seqs=tuple(commit.seq for commit in commits),
            idempotency_keys=tuple(commit.idempotency_key for commit in commits),
            types=Counter(str(event["type"]) for event in events),
            events=events,
            chained=chained,
            versions=sum(per_key.values()),
            delete_markers=markers.get(jurisdiction, 0),
        )
    return facts


def check_streams(facts: dict[str, StreamFacts], expected: dict[str, dict[str, int]]) -> LogCheck:
    """Compare stored streams with what must be there: `expected[jurisdiction][event type]`.

    Lost: an expected event missing, a gap in a stream's sequence, an expected stream absent.
    Duplicated: an event beyond its expected count, a repeated idempotency key, a second
    version of a commit key (an overwrite), a delete marker. Forks are problems.
    """
    check = LogCheck(streams=len(facts), commits=sum(len(f.seqs) for f in facts.values()))
    for jurisdiction, counts in sorted(expected.items()):
        stream = facts.get(jurisdiction)
        if stream is None:
            check.lost += sum(counts.values())
            check.problems.append(f"{jurisdiction}: no stream")
            continue
        for event_type, count in counts.items():
            actual = stream.types[event_type]
            check.lost += max(0, count - actual)
            check.duplicated += max(0, actual - count)
            if actual != count:
                check.problems.append(f"{jurisdiction}: {actual} x {event_type}, want {count}")
    for stream in facts.values():
        missing = set(range(len(stream.seqs))) ^ set(stream.seqs)
        check.lost += len(missing)
        repeated = len(stream.idempotency_keys) - len(set(stream.idempotency_keys))
        overwrites = stream.versions - len(stream.seqs) + stream.delete_markers
        check.duplicated += repeated + overwrites
        if missing or repeated or overwrites or not stream.chained:
            check.problems.append(
                f"{stream.jurisdiction}: seqs {stream.seqs}, {repeated} repeated keys, "
                f"{overwrites} extra versions, chained={stream.chained}"
            )
    return check


def count_commits(client: S3Client, bucket: str, prefix: str, program: str) -> int:
    """How many commits `program`'s streams hold right now (a cheap progress probe)."""
    paginator = client.get_paginator("list_objects_v2")
    return sum(
        page.get("KeyCount", 0)
        for page in paginator.paginate(Bucket=bucket, Prefix=f"{prefix}streams/{program}/")
    )


def record_figures(
    scenario: str, *, faults: int, runs: int, check: LogCheck | None = None, note: str = ""
) -> None:
    """Write one scenario's figures where the report collects them (only when asked to)."""
    directory = os.environ.get(FIGURES_DIR_ENV)
    if not directory:
        return
    document = {
        "scenario": scenario,
        "faults": faults,
        "runs": runs,
        "note": note,
        **asdict(check or LogCheck()),
    }
    path = Path(directory) / f"{re.sub(r'[^a-z0-9-]+', '-', scenario.lower())}.json"
    path.write_text(json.dumps(document, indent=2, sort_keys=True))


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
