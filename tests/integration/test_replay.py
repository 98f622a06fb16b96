"""`audit replay` and `audit export` on real SeaweedFS: flow-built logs, copies, tampering."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mypy_boto3_s3 import S3Client

from infra.eventlog.documents import document_key
from infra.eventlog.s3_store import S3ObjectStore
from infra.identity.keys import load_signer
from schemas.log.streams import StreamId
from tests.conftest import TEST_BUCKET, Cli
from tests.integration.test_review_path import EXAMPLES, SEEDS, _respond_all
from tests.unit.test_replay import PROGRAM, SLUG, STREAM, build_scenario, reseal


def build_with_flows(cli: Cli) -> None:
    """Import the four seed jurisdictions, send letters and record their four responses."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    reviewed = cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03")
    assert reviewed.code == 0, reviewed
    _respond_all(cli)


def test_flow_built_log_replays_clean_online_and_offline(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log built by the real flows replays with 0 findings, and so does its exported copy."""
    build_with_flows(cli)
    online = cli("audit", "replay", "--json")
    assert online.code == 0, online
    document = json.loads(online.stdout)
    assert document["ok"] is True
    assert document["findings"] == []
    assert [j["jurisdiction"] for j in document["jurisdictions"]] == SEEDS
    assert {j["decision"] for j in document["jurisdictions"]} == {"ineligible"}
    assert document["decisions"] == {"psp-2017": {"eligible": 0, "ineligible": 4, "pending": 0}}
    exported = cli("audit", "export", tmp_path / "copy")
    assert exported.code == 0, exported
    offline_env = {k: v for k, v in cli.env.items() if not k.startswith("AWS_")}
    offline_env["GRANTREVIEW_S3_ENDPOINT_URL"] = "http://127.0.0.1:9"  # nothing listens there
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    offline = Cli(offline_env, cli.monkeypatch, cli.capsys)
    copied = offline("audit", "replay", "--json", "--source", tmp_path / "copy")
    assert copied.code == 0, copied
    assert json.loads(copied.stdout)["jurisdictions"] == document["jurisdictions"]


def _flip_outcome(document: dict[str, Any]) -> None:
    for event in document["events"]:
        if document["seq"] == 2 and event["type"] == "grantreview.decision.issued":
            event["data"]["outcome"] = "eligible"


@pytest.mark.parametrize("tampering", ["outcome", "program", "response"])
def test_re_signed_tampering_on_s3_is_a_replay_finding(
    cli: Cli,
    operator_client: S3Client,
    admin_client: S3Client,
    s3_prefix: str,
    key_files: tuple[Path, Path],
    tampering: str,
) -> None:
    """Tampering that `audit verify` cannot see (re-signed with the key) fails `audit replay`."""
    signer = load_signer(key_files[0])
    scenario = build_scenario(S3ObjectStore(operator_client, TEST_BUCKET), s3_prefix, signer)

    def read(key: str) -> bytes:
        try:
            return admin_client.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].read()
        except admin_client.exceptions.NoSuchKey:
            raise KeyError(key) from None

    def write(key: str, body: bytes) -> None:
        admin_client.put_object(Bucket=TEST_BUCKET, Key=key, Body=body)

    edits: dict[str, Callable[[], None]] = {
        "outcome": lambda: reseal(
            read,
            write,
            s3_prefix,
            STREAM,
            2,
            _flip_outcome,
            _checkpoints(admin_client, s3_prefix),
            signer,
        ),
        "program": lambda: _edit(read, write, document_key(s3_prefix, scenario.program_sha256)),
        "response": lambda: _edit(read, write, document_key(s3_prefix, scenario.responses[1])),
    }
    edits[tampering]()
    verified = cli("audit", "verify")
    assert verified.code == 0, verified
    replayed = cli("audit", "replay", "--json")
    assert replayed.code == 1, replayed
    findings = json.loads(replayed.stdout)["findings"]
    expected = {
        "outcome": (2, "divergence"),
        "program": (2, "tampered_document"),
        "response": (3, "tampered_document"),
    }[tampering]
    assert any(
        (f["program"], f["jurisdiction"], f["seq"], f["kind"]) == (PROGRAM, SLUG, *expected)
        for f in findings
    ), findings
    text = cli("audit", "replay")
    assert text.code == 1
    assert f"{PROGRAM}/{SLUG} seq {expected[0]}: {expected[1]}" in text.stdout


def _edit(read: Callable[[str], bytes], write: Callable[[str, bytes], None], key: str) -> None:
    """Change one stored document in place (its address no longer matches)."""
    body = read(key)
    changed = body.replace(b"fiscal year 2017", b"fiscal year 2018").replace(b'"no"', b'"yes"')
    assert changed != body
    write(key, changed)


def _checkpoints(client: S3Client, prefix: str) -> list[str]:
    listed = client.list_objects_v2(Bucket=TEST_BUCKET, Prefix=f"{prefix}checkpoints/")
    return [item["Key"] for item in listed.get("Contents", [])]


def test_replay_selects_programs_and_jurisdictions(
    cli: Cli, operator_client: S3Client, s3_prefix: str, key_files: tuple[Path, Path]
) -> None:
    """--program and --jurisdiction narrow the replay; a bad or unknown slug is exit 2."""
    build_scenario(
        S3ObjectStore(operator_client, TEST_BUCKET), s3_prefix, load_signer(key_files[0])
    )
    chosen = cli(
        "audit",
        "replay",
        "--json",
        "--program",
        PROGRAM,
        "--jurisdiction",
        SLUG,
        "--as-of",
        "2017-09-12",
        "--known-at",
        "2017-09-30",
    )
    assert chosen.code == 0, chosen
    document = json.loads(chosen.stdout)
    assert [j["decision"] for j in document["jurisdictions"]] == ["ineligible"]
    assert document["known_at"] == "2017-09-30T00:00:00+00:00"
    other = cli("audit", "replay", "--json", "--jurisdiction", "nowhere-xx")
    assert other.code == 2, other  # a typo is refused, never an empty clean replay
    assert other.stderr == "error: jurisdiction(s) not in this log: nowhere-xx\n"
    assert other.stdout == ""
    assert cli("audit", "replay", "--jurisdiction", "Not A Slug").code == 2
    assert StreamId(program=PROGRAM, jurisdiction=SLUG) == STREAM
