"""Upgrading a round-1 log: keyless `/1` writes, a signed cumulative checkpoint, then keyed writes.

The deployment configures its signing and verify keys after the fact; the streams written
unsigned stay writable because the signed checkpoint attests their heads
(docs/log-format.md section 3), and `audit verify` is clean.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mypy_boto3_s3 import S3Client

from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.log import EventLog
from infra.eventlog.s3_store import S3ObjectStore
from infra.identity.keys import load_signer
from infra.platform.clock import utc_now
from tests.conftest import TEST_BUCKET, Cli

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"
_KEYS = ("GRANTREVIEW_SIGNING_KEY_FILE", "GRANTREVIEW_VERIFY_KEY_FILE")


def test_keyed_writers_build_on_an_attested_round_one_log(
    cli: Cli,
    operator_client: S3Client,
    s3_prefix: str,
    key_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Respond and override on streams written unsigned succeed; audit verify exits 0."""
    keyless = Cli({k: v for k, v in cli.env.items() if k not in _KEYS}, monkeypatch, capsys)
    assert keyless("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    assert keyless("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03").code == 0
    log = EventLog(S3ObjectStore(operator_client, TEST_BUCKET), s3_prefix)  # round 1: no keys
    assert write_checkpoint(log, load_signer(key_files[0]), time=utc_now()) is not None

    respond = cli("respond", "stockton-ca", "--program", "psp-2017",
                  "--file", EXAMPLES / "stockton-ca.json", "--as-of", "2017-08-18")  # fmt: skip
    assert respond.code == 0, respond
    override = cli("override", "baltimore-md", "--program", "psp-2017", "--decision",
                   "ineligible", "--reason", "upgrade check", "--actor", "j.doe")  # fmt: skip
    assert override.code == 0, override

    audit = cli("audit", "verify", "--json")
    assert audit.code == 0, audit
    report = json.loads(audit.stdout)
    assert report["attested_legacy_commits"] > 0
    assert report["attesting_checkpoints"] == [0]
