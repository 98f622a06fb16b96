"""Eight processes at once on the same streams: `respond` (same, different payloads), `review`."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from pathlib import Path

import pytest
from mypy_boto3_s3 import S3Client

from tests.conftest import TEST_BUCKET, CliResult, run_cli_process
from tests.support.figures import record_figures
from tests.support.log_checks import check_streams, read_streams

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"
PROGRAM = "psp-2017"
RESPONSES = {"received", "amended"}


def _amended_copy(slug: str, directory: Path) -> Path:
    """The seed response with another respondent title: a second, distinct payload."""
    document = json.loads((EXAMPLES / f"{slug}.json").read_text())
    document["respondent"]["title"] = "Acting " + document["respondent"]["title"]
    path = directory / f"{slug}-amended.json"
    path.write_text(json.dumps(document))
    return path


def _run_all(env: dict[str, str], commands: list[tuple[str | Path, ...]]) -> list[CliResult]:
    """Start every command as its own process at once; wait for all of them."""
    results: list[CliResult | None] = [None] * len(commands)
    start = threading.Barrier(len(commands))

    def run(index: int) -> None:
        start.wait()
        results[index] = run_cli_process(env, *commands[index], timeout=170)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [result for result in results if result is not None]


def test_eight_writers_at_once_leave_gapless_unforked_streams(
    cli_env: dict[str, str], admin_client: S3Client, s3_prefix: str, tmp_path: Path
) -> None:
    """Eight racing processes: gapless unforked streams, one letter each, one event per payload."""
    imported = run_cli_process(cli_env, "jurisdictions", "import", EXAMPLES / "jurisdictions.csv")
    assert imported.code == 0, imported
    payloads = {
        "stockton-ca": [EXAMPLES / "stockton-ca.json"] * 2,
        "albuquerque-nm": [
            EXAMPLES / "albuquerque-nm.json",
            _amended_copy("albuquerque-nm", tmp_path),
        ],
        "baltimore-md": [EXAMPLES / "baltimore-md.json"],
        "san-bernardino-ca": [EXAMPLES / "san-bernardino-ca.json"],
    }
    review = ("review", "--program", PROGRAM, "--all", "--as-of", "2017-08-10")
    commands: list[tuple[str | Path, ...]] = [review, review]
    commands += [
        ("respond", slug, "--program", PROGRAM, "--file", path, "--as-of", "2017-08-18")
        for slug, paths in payloads.items()
        for path in paths
    ]
    assert len(commands) == 8
    results = _run_all(cli_env, commands)
    assert [result.code for result in results] == [0] * 8, results

    verified = run_cli_process(cli_env, "audit", "verify", "--json")
    assert verified.code == 0, verified
    assert json.loads(verified.stdout)["findings"] == []
    facts = read_streams(admin_client, TEST_BUCKET, s3_prefix, PROGRAM)
    distinct = {
        slug: {hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
        for slug, paths in payloads.items()
    }
    expected = {
        slug: {
            "grantreview.letter.sent": 1,
            "grantreview.response.received": 1,
            "grantreview.response.amended": len(shas) - 1,
        }
        for slug, shas in distinct.items()
    }
    check = check_streams(facts, expected)
    assert check.intact, check.problems
    for slug, shas in distinct.items():
        events = facts[slug].events
        recorded = Counter(
            event["data"]["response_sha256"]
            for event in events
            if event["type"].rsplit(".", 1)[-1] in RESPONSES
        )
        assert recorded == dict.fromkeys(shas, 1), slug
        in_force = next(
            e["data"]["response_sha256"]
            for e in reversed(events)
            if e["type"].rsplit(".", 1)[-1] in RESPONSES
        )
        last_decision = next(
            key for key in reversed(facts[slug].idempotency_keys) if key.startswith("decision:")
        )
        assert last_decision == f"decision:{in_force}", slug
    record_figures(
        "2. 8 processes at once: 2 review, 6 respond (4 streams)",
        faults=0,
        runs=8,
        check=check,
        note="one letter per stream, one response event per distinct payload",
    )
