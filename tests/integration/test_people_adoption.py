"""An administrator puts people files in force on SeaweedFS, through the CLI (issue #15).

The adopted file, not the host's copy, is what acts are checked under: a host with another
file is refused until it is adopted, only an administrator in force adopts, and a stored
file changed afterwards stops writers (exit 3) and is a finding. No Prefect server needed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.conftest import TEST_BUCKET, CliResult, count_objects, signing_env
from tests.integration.test_people import EXAMPLES, PROGRAM, Office
from tests.support.people import make_key

if TYPE_CHECKING:
    from pathlib import Path

    from mypy_boto3_s3 import S3Client

_ENTRIES = "2020-01-01"


@pytest.fixture
def office(
    tmp_path: Path,
    s3_env: dict[str, str],
    key_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Office:
    """Olga, Dora and Dan, with Ada as the administrator; nothing adopted yet."""
    made = Office(tmp_path, signing_env(s3_env, key_files), monkeypatch, capsys)
    made.keys["ada"] = make_key(tmp_path, "ada")
    made.keys["pat"] = make_key(tmp_path, "pat")
    made.write_people(_entries(made, with_pat=False))
    return made


def _entries(
    office: Office, *, with_pat: bool
) -> list[tuple[str, list[str], str, str, str | None]]:
    roles = {
        "olga": ["operator"],
        "dora": ["determining_official"],
        "dan": ["determining_official"],
        "ada": ["administrator"],
    }
    if with_pat:
        roles["pat"] = ["determining_official"]
    return [(person, roles[person], office.keys[person].public, _ENTRIES, None) for person in roles]


def _adopt(office: Office, person: str, *extra: str) -> CliResult:
    return office.run(person, "people", "adopt", office.people, "--actor", person, *extra)


def _override(office: Office, person: str, slug: str) -> CliResult:
    args = ["override", slug, "--program", PROGRAM, "--decision", "eligible"]
    return office.run(person, *args, "--reason", "court order")


def test_adoptions_decide_who_may_act_and_a_changed_file_stops_writers(
    office: Office, operator_client: S3Client, admin_client: S3Client, s3_prefix: str
) -> None:
    """Adopt, refuse a host's unadopted file and a non-administrator, adopt again, tamper."""
    first = _adopt(office, "ada", "--json")
    assert first.code == 0, first
    assert json.loads(first.stdout)["status"] == "adopted"
    (first_file,) = _people_documents(operator_client, s3_prefix)
    again = _adopt(office, "ada")
    assert (again.code, "already in force" in again.stdout) == (0, True), again
    imported = office.run("olga", "jurisdictions", "import", EXAMPLES / "jurisdictions.csv")
    assert imported.code == 0, imported

    office.write_people(_entries(office, with_pat=True))  # the host's copy moves ahead
    before = count_objects(operator_client, s3_prefix)
    unadopted = _override(office, "pat", "stockton-ca")
    assert unadopted.code == 2, unadopted
    assert "not the people file in force" in unadopted.stderr
    by_dan = _adopt(office, "dan")
    assert by_dan.code == 2, by_dan
    assert count_objects(operator_client, s3_prefix) == before

    assert _adopt(office, "ada").code == 0
    assert _override(office, "pat", "stockton-ca").code == 0
    listed = office.run("dan", "audit", "acts", "--json")
    assert listed.code == 0, listed
    rows = json.loads(listed.stdout)
    adoptions = [row for row in rows if row["type"] == "people"]
    assert [(row["actor"], row["verifies"]) for row in adoptions] == [("ada", True), ("ada", True)]
    assert ("override", "pat", True) in {(r["type"], r["actor"], r["verifies"]) for r in rows}
    assert office.run("dan", "audit", "verify").code == 0

    # An insider rewrites the adopted file in storage: writers stop, verify finds it.
    (in_force,) = set(_people_documents(admin_client, s3_prefix)) - {first_file}
    body = admin_client.get_object(Bucket=TEST_BUCKET, Key=in_force)["Body"].read()
    forged = body.replace(b"operator", b"determining_official")
    admin_client.put_object(Bucket=TEST_BUCKET, Key=in_force, Body=forged)
    before = count_objects(operator_client, s3_prefix)
    stopped = _override(office, "dora", "baltimore-md")
    assert stopped.code == 3, stopped
    assert "missing or changed in storage" in stopped.stderr
    assert count_objects(operator_client, s3_prefix) == before
    verified = office.run("dan", "audit", "verify", "--json")
    assert verified.code == 1, verified
    kinds = {finding["kind"] for finding in json.loads(verified.stdout)["findings"]}
    assert "people_file_changed" in kinds


def _people_documents(client: S3Client, prefix: str) -> list[str]:
    """The keys of the stored people documents."""
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=TEST_BUCKET, Prefix=f"{prefix}documents/"
    )
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    return [
        key
        for key in keys
        if b"people/1" in client.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].read()
    ]
