"""Tampering done directly in S3 with an admin identity is found, located, and exits 1.

The bucket is versioned with Object Lock, so an admin's "modify" is a new current version
over the key and a "delete" is a delete marker; verification reads current versions.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from cli.main import app, main
from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.log import EventLog
from infra.eventlog.s3_store import S3ObjectStore
from infra.identity.keys import generate_key_pair, load_signer
from infra.platform.settings import get_settings
from schemas.base.errors import InputError
from schemas.base.ids import InvalidIdError
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.cumulative_checkpoint import (
    Signer,
    checkpoint_key,
    parse_checkpoint,
    seal_checkpoint,
)
from schemas.log.streams import StreamId, commit_key
from tests.conftest import TEST_BUCKET, client_for

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from infra.platform.settings import Settings
    from localdev.seaweed import SeaweedServer

A = StreamId(program="psp-2017", jurisdiction="stockton-ca")
B = StreamId(program="psp-2017", jurisdiction="baltimore-md")
T0 = datetime(2017, 8, 3, tzinfo=UTC)


@pytest.fixture
def keyring_file(tmp_path: Path) -> tuple[Signer, Path]:
    """A fresh signing key and the auditors' keyring file."""
    private, public = generate_key_pair(tmp_path / "keys", valid_from=T0)
    return load_signer(private), public


@pytest.fixture
def built(
    settings: Settings, operator_client: S3Client, keyring_file: tuple[Signer, Path]
) -> Iterator[tuple[str, Path]]:
    """Two streams of four commits written by the operator, with two signed checkpoints."""
    signer, public = keyring_file
    log = EventLog(S3ObjectStore(operator_client, TEST_BUCKET), settings.s3_prefix)
    for hour, stream in enumerate((A, B)):
        prev = GENESIS
        for seq in range(4):
            payload = LetterSent(letter_sha256=f"{seq:064x}", letter_date=T0.date(),
                                 response_due=None, delivery="none")  # fmt: skip
            commit = seal_commit(stream=stream, seq=seq, prev=prev, idempotency_key=f"k{seq}",
                                 payloads=[payload], time=T0, actor="clerk",
                                 signer=signer)  # fmt: skip
            assert log.append(commit)
            prev = commit.hash
        assert write_checkpoint(log, signer, time=T0 + timedelta(hours=hour + 1))
    get_settings.cache_clear()
    yield settings.s3_prefix, public
    get_settings.cache_clear()


def _get(client: S3Client, key: str) -> bytes:
    return client.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].read()


def _put(client: S3Client, key: str, body: bytes) -> None:
    client.put_object(Bucket=TEST_BUCKET, Key=key, Body=body)  # a new version, no If-None-Match


def modify_byte(client: S3Client, prefix: str) -> None:
    """Change one byte inside commit 1 of stream A."""
    key = commit_key(prefix, A, 1)
    raw = _get(client, key)
    at = raw.index(b'"clerk"') + 2
    _put(client, key, raw[:at] + b"X" + raw[at + 1 :])


def delete_middle(client: S3Client, prefix: str) -> None:
    """Delete commit 2 of stream A (a delete marker)."""
    client.delete_object(Bucket=TEST_BUCKET, Key=commit_key(prefix, A, 2))


def delete_newest(client: S3Client, prefix: str) -> None:
    """Delete the head commit of stream A."""
    client.delete_object(Bucket=TEST_BUCKET, Key=commit_key(prefix, A, 3))


def insert(client: S3Client, prefix: str) -> None:
    """Insert a correctly chained forged commit at seq 2, shifting 2 and 3 up."""
    prev = json.loads(_get(client, commit_key(prefix, A, 1)))["hash"]
    for seq in (3, 2):
        _put(client, commit_key(prefix, A, seq + 1), _get(client, commit_key(prefix, A, seq)))
    payload = LetterSent(letter_sha256="f" * 64, letter_date=T0.date(), response_due=None,
                         delivery="none")  # fmt: skip
    forged = seal_commit(stream=A, seq=2, prev=prev, idempotency_key="forged",
                         payloads=[payload], time=T0, actor="mallory")  # fmt: skip
    _put(client, commit_key(prefix, A, 2), forged.to_bytes())


def swap(client: S3Client, prefix: str) -> None:
    """Swap commits 1 and 2 of stream A."""
    one, two = commit_key(prefix, A, 1), commit_key(prefix, A, 2)
    first, second = _get(client, one), _get(client, two)
    _put(client, one, second)
    _put(client, two, first)


def forge_checkpoint(client: S3Client, prefix: str) -> None:
    """Replace the newest checkpoint with one signed by another key."""
    key = checkpoint_key(prefix, 1)
    real = parse_checkpoint(_get(client, key))
    heads = {name: (head.seq, head.hash) for name, head in real.heads.items()}
    other = Signer(Ed25519PrivateKey.generate())
    forged = seal_checkpoint(seq=1, time=real.time, heads=heads,
                             prev_signature=real.prev_signature, signer=other)  # fmt: skip
    _put(client, key, forged.to_bytes())


def move(client: S3Client, prefix: str) -> None:
    """Copy commit 1 of stream A to the next key of stream B."""
    _put(client, commit_key(prefix, B, 4), _get(client, commit_key(prefix, A, 1)))


CASES: list[tuple[Callable[[Any, str], None], tuple[str | None, int, str]]] = [
    (modify_byte, ("stockton-ca", 1, "modified")),
    (delete_middle, ("stockton-ca", 2, "missing")),
    (delete_newest, ("stockton-ca", 3, "truncated")),
    (insert, ("stockton-ca", 2, "inserted")),
    (swap, ("stockton-ca", 1, "reordered")),
    (forge_checkpoint, (None, 1, "forged_checkpoint")),
    (move, ("baltimore-md", 4, "moved")),
]


def _verify(keyring: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        app, ["audit", "verify", "--json", "--verify-key", str(keyring), *extra]
    )
    return result.exit_code, json.loads(result.stdout)


def _download(client: S3Client, prefix: str, destination: Path) -> Path:
    """What `aws s3 sync s3://BUCKET/PREFIX DIR` writes: current versions, keys as paths."""
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=TEST_BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            path = destination / item["Key"][len(prefix) :]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_get(client, item["Key"]))
    return destination


def test_untouched_log_exits_0(
    built: tuple[str, Path], seaweed: SeaweedServer, tmp_path: Path
) -> None:
    """An untouched log verifies clean in S3 and as a downloaded copy."""
    prefix, keyring = built
    code, report = _verify(keyring)
    assert (code, report["ok"], report["commits"], report["checkpoints"]) == (0, True, 8, 2)
    copy = _download(client_for(seaweed, "auditor"), prefix, tmp_path / "copy")
    code, report = _verify(keyring, "--source", str(copy))
    assert (code, report["ok"], report["commits"]) == (0, True, 8)
    human = CliRunner().invoke(app, ["audit", "verify", "--verify-key", str(keyring)])
    assert human.exit_code == 0
    assert human.stdout.startswith("ok: 2 streams, 8 commits, 8 events, 2 checkpoints")


@pytest.mark.parametrize(("tamper", "expected"), CASES, ids=[c[0].__name__ for c in CASES])
def test_tampering_is_found_in_s3_and_in_a_copy(
    built: tuple[str, Path],
    admin_client: S3Client,
    seaweed: SeaweedServer,
    tmp_path: Path,
    tamper: Callable[[S3Client, str], None],
    expected: tuple[str | None, int, str],
) -> None:
    """Each tampering is detected and located, exit 1, both in S3 and offline with --source."""
    prefix, keyring = built
    tamper(admin_client, prefix)
    copy = _download(client_for(seaweed, "auditor"), prefix, tmp_path / "copy")
    for extra in ((), ("--source", str(copy))):
        code, report = _verify(keyring, *extra)
        assert code == 1
        assert report["ok"] is False
        found = {(f["jurisdiction"], f["seq"], f["kind"]) for f in report["findings"]}
        assert expected in found, report["findings"]
        assert all(f["program"] in {"psp-2017", None} for f in report["findings"])
    human = CliRunner().invoke(app, ["audit", "verify", "--verify-key", str(keyring)])
    assert human.exit_code == 1
    assert "FAILED:" in human.stdout


def test_missing_verify_key_exits_2(
    built: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --verify-key or GRANTREVIEW_VERIFY_KEY_FILE the command exits 2."""
    monkeypatch.delenv("GRANTREVIEW_VERIFY_KEY_FILE", raising=False)
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 2
    assert "verify key" in result.stderr


def test_program_filter(built: tuple[str, Path], admin_client: S3Client) -> None:
    """--program limits verification to that program; one the log does not hold is bad input.

    An auditor's typo must not read as a clean result (issue #23): exit 2, one line.
    """
    prefix, keyring = built
    delete_middle(admin_client, prefix)
    unknown = CliRunner().invoke(
        app, ["audit", "verify", "--json", "--verify-key", str(keyring), "--program", "jag-fy2017"]
    )
    assert isinstance(unknown.exception, InputError)  # exit 2 at the console entry point
    assert "jag-fy2017" in str(unknown.exception)
    assert unknown.stdout == ""
    code, _ = _verify(keyring, "--program", "psp-2017")
    assert code == 1
    result = CliRunner().invoke(app, ["audit", "verify", "--verify-key", str(keyring),
                                      "--program", "../psp"])  # fmt: skip
    assert isinstance(result.exception, InvalidIdError)


def test_unreachable_s3_exits_3(
    keyring_file: tuple[Signer, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """When S3 cannot be reached, `audit verify` exits 3 with one line on stderr."""
    monkeypatch.setenv("GRANTREVIEW_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "nobody")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "nothing")
    monkeypatch.setattr(
        sys, "argv", ["grantreview", "audit", "verify", "--verify-key", str(keyring_file[1])]
    )
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as done:
        main()
    get_settings.cache_clear()
    assert done.value.code == 3
    assert "S3 unreachable" in capsys.readouterr().err
