"""An insider's planted objects on SeaweedFS, the rest of issue #13: each costs itself only.

A commit planted at seq 10^12 leaves `reevaluate` revising every other stream (exit 1,
the damaged one named); a 10 MB object at a commit key is one finding; and a commit
hidden behind a delete marker after an export makes the refreshed copy fail `verify
--source` as the online log fails `verify` (M4).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from infra.files.programs import load_program
from schemas.log.streams import StreamId, commit_key
from tests.conftest import TEST_BUCKET, Cli
from tests.support.builders import csv_bytes, seed_decided_streams, synthetic_jurisdictions

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from infra.eventlog.log import EventLog
    from schemas.program.jurisdiction import Jurisdiction

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "programs" / "ca-order"
EXAMPLES = ROOT / "programs" / "psp-2017" / "examples"
PROGRAM = "psp-2017"
STOCKTON = StreamId(program=PROGRAM, jurisdiction="stockton-ca")
FAR = 10**12


@pytest.fixture
def seeded(cli: Cli, signed_event_log: EventLog, tmp_path: Path) -> list[Jurisdiction]:
    """30 imported jurisdictions with decided (ineligible) streams; the CA-order programs."""
    places = synthetic_jurisdictions(30)
    csv_file = tmp_path / "jurisdictions.csv"
    csv_file.write_bytes(csv_bytes(places))
    assert cli("jurisdictions", "import", csv_file).code == 0
    bundle = load_program(FIXTURES, PROGRAM)
    assert seed_decided_streams(signed_event_log, bundle, places, workers=4) == 30
    cli.env["GRANTREVIEW_PROGRAMS_DIR"] = str(FIXTURES)
    return places


def _stockton_history(cli: Cli, overrides: int = 1) -> None:
    """The example jurisdictions imported and stockton-ca overridden (commits, checkpoints)."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    for turn in range(overrides):
        result = cli("override", "stockton-ca", "--program", PROGRAM, "--decision", "eligible",
                     "--reason", f"reviewed by hand ({turn})", "--actor", "clerk")  # fmt: skip
        assert result.code == 0, result


def test_reevaluate_revises_every_other_stream_past_a_far_planted_commit(
    cli: Cli, seeded: list[Jurisdiction], admin_client: S3Client, s3_prefix: str
) -> None:
    """A commit copied to seq 10^12 of one CA stream: exit 1 naming it, the rest revised."""
    california = sorted(p.slug for p in seeded if p.state == "CA")
    assert len(california) > 1
    damaged = StreamId(program=PROGRAM, jurisdiction=california[0])
    body = admin_client.get_object(Bucket=TEST_BUCKET, Key=commit_key(s3_prefix, damaged, 0))
    far = commit_key(s3_prefix, damaged, FAR)
    admin_client.put_object(Bucket=TEST_BUCKET, Key=far, Body=body["Body"].read())
    result = cli("reevaluate", "--program", PROGRAM, "--as-of", "2018-02-01", "--json")
    assert result.code == 1, result
    report = json.loads(result.stdout)
    assert list(report["damaged"]) == [damaged.jurisdiction]
    assert [c["jurisdiction"] for c in report["changes"]] == california[1:]
    assert result.stderr.count("error:") == 1
    assert damaged.jurisdiction in result.stderr


def test_a_ten_megabyte_object_at_a_commit_key_is_one_finding(
    cli_s3: Cli, admin_client: S3Client, s3_prefix: str
) -> None:
    """10 MB at stockton-ca's next commit key: one bad_format by key; the others are fine."""
    _stockton_history(cli_s3)
    planted = commit_key(s3_prefix, STOCKTON, 1)
    admin_client.put_object(Bucket=TEST_BUCKET, Key=planted, Body=b"{" + b" " * (10 * 2**20))
    result = cli_s3("audit", "verify", "--json")
    assert result.code == 1, result
    findings = json.loads(result.stdout)["findings"]
    assert [(f["kind"], f["key"]) for f in findings] == [("bad_format", planted)]
    status = cli_s3("status", "--program", PROGRAM, "--json")
    assert status.code == 1, status.stderr
    rows = {row["jurisdiction"]: row for row in json.loads(status.stdout)}
    assert rows[STOCKTON.jurisdiction]["step"] == "damaged"
    assert all(row["damaged"] is None for slug, row in rows.items() if slug != "stockton-ca")


def _files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_a_hidden_commit_fails_the_refreshed_copy_as_it_fails_the_log(
    cli_s3: Cli, admin_client: S3Client, s3_prefix: str, tmp_path: Path
) -> None:
    """M4: export, delete marker, re-export refused (exit 2, copy untouched); --update matches."""
    _stockton_history(cli_s3, overrides=2)
    copy = tmp_path / "copy"
    assert cli_s3("audit", "export", copy).code == 0
    hidden = commit_key(s3_prefix, STOCKTON, 0)
    admin_client.delete_object(Bucket=TEST_BUCKET, Key=hidden)  # versioned: a delete marker
    before = _files(copy)
    refused = cli_s3("audit", "export", copy)
    assert refused.code == 2, refused
    assert _files(copy) == before
    updated = cli_s3("audit", "export", copy, "--update")
    assert updated.code == 0, updated
    relative = hidden.removeprefix(s3_prefix)
    assert f"removed: {relative}" in updated.stdout
    listed = admin_client.list_objects_v2(Bucket=TEST_BUCKET, Prefix=s3_prefix)
    assert set(_files(copy)) == {item["Key"].removeprefix(s3_prefix) for item in listed["Contents"]}
    online = cli_s3("audit", "verify", "--json")
    offline = cli_s3("audit", "verify", "--source", copy, "--json")
    assert (online.code, offline.code) == (1, 1)
    found = [
        {(f["seq"], f["kind"]) for f in json.loads(r.stdout)["findings"]} for r in (online, offline)
    ]
    assert found[0] == found[1]
    assert (0, "missing") in found[1]
