"""A log that stopped, on SeaweedFS: `audit witness` and `audit verify --max-age` exit 1."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from mypy_boto3_s3 import S3Client

from infra.eventlog.integrator import Integrator
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.s3_store import S3ObjectStore
from infra.identity.keys import load_keyring, load_signer
from infra.platform.clock import utc_now
from schemas.tlog.layout import log_origin
from tests.conftest import TEST_BUCKET, Cli, signing_env
from tests.unit.test_tlog_integrator import A, _append


@pytest.fixture
def stopped_log(operator_client: S3Client, s3_prefix: str, key_files: tuple[Path, Path]) -> None:
    """Two commits integrated three hours ago, and nothing signed since: the log stopped."""
    signer, keyring = load_signer(key_files[0]), load_keyring(key_files[1])
    store = S3ObjectStore(operator_client, TEST_BUCKET)
    log = EventLog(store, s3_prefix, CommitKeys(signer, keyring))
    _append(log, A, 2)
    origin = log_origin(TEST_BUCKET, s3_prefix)
    integrator = Integrator(log, origin=origin, signer=signer, keyring=keyring)
    assert integrator.integrate(None, time=utc_now() - timedelta(hours=3)).head.size == 2


@pytest.mark.usefixtures("stopped_log")
def test_a_stopped_log_fails_the_witness_and_the_audit_past_max_age(
    s3_env: dict[str, str],
    key_files: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Three hours without a checkpoint: `--max-age 2h` exits 1 naming it, `4h` passes."""
    cli = Cli(signing_env(s3_env, key_files), monkeypatch, capsys)
    state = tmp_path / "witness"
    stale = cli("audit", "witness", "--state", state, "--max-age", "2h")
    assert stale.code == 1, stale.stderr
    assert "witness: stale_checkpoint:" in stale.stdout
    fresh = cli("audit", "witness", "--state", state, "--max-age", "4h")
    assert fresh.code == 0, fresh.stdout + fresh.stderr
    assert "witness ok: tlog checkpoint 0 (size 2)" in fresh.stdout
    verified = cli("audit", "verify", "--max-age", "2h")
    assert verified.code == 1, verified.stderr
    assert "stale_checkpoint" in verified.stdout
    assert cli("audit", "verify", "--max-age", "4h").code == 0
