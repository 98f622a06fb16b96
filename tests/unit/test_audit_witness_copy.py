"""`audit verify --source COPY --witness-state DIR` witnesses the copy, not the bucket."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.eventlog.integrator import Integrator
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.identity.keys import generate_key_pair, load_keyring, load_signer
from schemas.tlog.layout import log_origin
from tests.conftest import Cli
from tests.unit.test_tlog_integrator import A, _append
from usecases.export import export_store

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BUCKET, PREFIX = "audited-bucket", "p/"


@pytest.fixture
def copy_and_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A signed log with one tlog checkpoint, downloaded; the bucket itself is unreachable."""
    private, public = generate_key_pair(tmp_path / "keys", valid_from=T0)
    signer, keyring = load_signer(private), load_keyring(public)
    store = MemoryObjectStore()
    log = EventLog(store, PREFIX, CommitKeys(signer, keyring))
    _append(log, A, 2)
    origin = log_origin(BUCKET, PREFIX)
    Integrator(log, origin=origin, signer=signer, keyring=keyring).integrate(None, time=T0)
    export_store(store, PREFIX, tmp_path / "copy")
    env = {
        "GRANTREVIEW_S3_BUCKET": BUCKET,
        "GRANTREVIEW_S3_PREFIX": PREFIX,
        "GRANTREVIEW_S3_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens: no S3 at all
        "GRANTREVIEW_VERIFY_KEY_FILE": str(public),
        "AWS_ACCESS_KEY_ID": "none",
        "AWS_SECRET_ACCESS_KEY": "none",
    }
    return tmp_path / "copy", env


def test_the_witness_checks_the_copy_it_was_given(
    copy_and_env: tuple[Path, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Verified and witnessed offline: the copy's checkpoint is what the witness remembers."""
    copy, env = copy_and_env
    state = tmp_path / "witness"
    result = Cli(env, monkeypatch, capsys)(
        "audit", "verify", "--source", copy, "--witness-state", state
    )
    assert result.code == 0, result.stderr
    assert "witness ok: tlog checkpoint 0 (size 2)" in result.stdout
    (remembered,) = state.iterdir()
    assert json.loads(remembered.read_text(encoding="utf-8"))["seq"] == 0
