"""Checkpoints, keys and checkpoint writing: signed bytes, chain, rotation, file permissions."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError
from typer.testing import CliRunner

from cli.main import app
from infra.eventlog.checkpoints import latest_checkpoint, write_checkpoint
from infra.eventlog.log import EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.eventlog.store import MAX_OBJECT_BYTES
from infra.identity.keys import generate_key_pair, load_keyring, load_signer
from schemas.base.canonical import canonical_json, sha256_hex
from schemas.base.errors import InputError
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.cumulative_checkpoint import (
    CheckpointFormatError,
    KeyEntry,
    Keyring,
    Signer,
    checkpoint_key,
    parse_checkpoint,
    parse_checkpoint_key,
    seal_checkpoint,
    signature_problem,
    signed_bytes,
)
from schemas.log.streams import StreamId

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
HEADS = {"psp-2017/stockton-ca": (3, "a" * 64), "_registry/jurisdictions": (0, "b" * 64)}
STREAM = StreamId(program="psp-2017", jurisdiction="stockton-ca")


def _entry(signer: Signer, start: datetime, end: datetime | None = None) -> KeyEntry:
    return KeyEntry(
        fingerprint=signer.fingerprint,
        public_key=signer.public_bytes.hex(),
        valid_from=start,
        valid_until=end,
    )


KEYRING = Keyring(keys=(_entry(SIGNER, T0),))


def test_signed_bytes_are_the_canonical_document_without_signature() -> None:
    """The signature covers exactly the canonical JSON of the document minus `signature`."""
    checkpoint = seal_checkpoint(seq=0, time=T0, heads=HEADS, prev_signature=None, signer=SIGNER)
    document = json.loads(checkpoint.to_bytes())
    del document["signature"]
    assert signed_bytes(checkpoint) == canonical_json(document)
    assert document["format"] == "grantreview.checkpoint/1"
    assert document["heads"]["psp-2017/stockton-ca"] == {"seq": 3, "hash": "a" * 64}
    assert signature_problem(checkpoint, KEYRING) is None


def test_round_trip_and_canonical_bytes_required() -> None:
    """Stored bytes parse back to the same checkpoint; a re-spaced copy is refused."""
    checkpoint = seal_checkpoint(
        seq=2, time=T0, heads=HEADS, prev_signature="c" * 128, signer=SIGNER
    )
    assert parse_checkpoint(checkpoint.to_bytes()) == checkpoint
    with pytest.raises(CheckpointFormatError):
        parse_checkpoint(json.dumps(checkpoint.document(), indent=1).encode())


def test_changed_heads_break_the_signature() -> None:
    """Changing one head after signing makes the signature fail."""
    checkpoint = seal_checkpoint(seq=0, time=T0, heads=HEADS, prev_signature=None, signer=SIGNER)
    changed = checkpoint.model_copy(update={"heads": {}})
    assert signature_problem(changed, KEYRING) == "the signature does not verify"


def test_unknown_key_and_window() -> None:
    """A key not in the keyring, or used outside its window, is refused."""
    other = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))
    checkpoint = seal_checkpoint(seq=0, time=T0, heads=HEADS, prev_signature=None, signer=other)
    assert "not in the keyring" in (signature_problem(checkpoint, KEYRING) or "")
    late = Keyring(keys=(_entry(other, T0 + timedelta(days=1)),))
    assert "was not valid" in (signature_problem(checkpoint, late) or "")


def test_rotation_keeps_old_checkpoints_verifiable() -> None:
    """After rotation, checkpoints of the old key and of the new key both verify."""
    new = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34))))
    switch = T0 + timedelta(days=30)
    keyring = Keyring(keys=(_entry(SIGNER, T0, switch), _entry(new, switch)))
    old_cp = seal_checkpoint(seq=0, time=T0, heads=HEADS, prev_signature=None, signer=SIGNER)
    new_cp = seal_checkpoint(
        seq=1, time=switch, heads=HEADS, prev_signature=old_cp.signature, signer=new
    )
    assert signature_problem(old_cp, keyring) is None
    assert signature_problem(new_cp, keyring) is None
    stale = seal_checkpoint(seq=2, time=switch, heads=HEADS, prev_signature=None, signer=SIGNER)
    assert signature_problem(stale, keyring) is not None


def test_fingerprint_is_sha256_of_raw_public_key() -> None:
    """The fingerprint is the SHA-256 of the 32 raw public-key bytes; a wrong one is refused."""
    assert SIGNER.fingerprint == sha256_hex(SIGNER.public_bytes)
    with pytest.raises(ValidationError):
        KeyEntry(fingerprint="0" * 64, public_key=SIGNER.public_bytes.hex(), valid_from=T0)


def test_checkpoint_keys_round_trip() -> None:
    """Checkpoint keys are zero-padded to 20 digits and parse back; other keys do not."""
    assert checkpoint_key("p/", 7) == "p/checkpoints/00000000000000000007.json"
    assert parse_checkpoint_key("p/", checkpoint_key("p/", 7)) == 7
    assert parse_checkpoint_key("p/", "p/checkpoints/7.json") is None
    assert parse_checkpoint_key("p/", "p/streams/00000000000000000007.json") is None


def test_generate_key_pair_permissions_and_no_overwrite(tmp_path: Path) -> None:
    """The private key is 0600, the keyring 0644, and neither is ever overwritten."""
    private, public = generate_key_pair(tmp_path / "keys", valid_from=T0)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
    signer, keyring = load_signer(private), load_keyring(public)
    assert keyring.keys[0].fingerprint == signer.fingerprint
    with pytest.raises(InputError, match="refusing to overwrite"):
        generate_key_pair(tmp_path / "keys", valid_from=T0)


def test_load_signer_refuses_loose_permissions(tmp_path: Path) -> None:
    """A signing key readable by others is refused with the file and its mode named."""
    private, _ = generate_key_pair(tmp_path, valid_from=T0)
    private.chmod(0o644)
    with pytest.raises(InputError, match=r"signing-key\.pem has mode 0644"):
        load_signer(private)


def test_load_keyring_refuses_garbage(tmp_path: Path) -> None:
    """A verify key file that is not a keyring is bad input."""
    path = tmp_path / "keys.json"
    path.write_text('{"format": "grantreview.keyring/1", "keys": [{"fingerprint": "x"}]}')
    with pytest.raises(InputError, match="not a keyring"):
        load_keyring(path)
    with pytest.raises(InputError, match="cannot read"):
        load_keyring(tmp_path / "absent.json")


def _append(log: EventLog, stream: StreamId, count: int) -> tuple[int, str]:
    prev, seq = GENESIS, -1
    for seq in range(count):
        commit = seal_commit(
            stream=stream, seq=seq, prev=prev, idempotency_key=f"k{seq}",
            payloads=[LetterSent(letter_sha256="a" * 64, letter_date=T0.date(),
                                 response_due=None, delivery="none")],
            time=T0, actor="test",
        )  # fmt: skip
        log.append(commit)
        prev = commit.hash
    return seq, prev


class _CountingStore(MemoryObjectStore):
    """Counts listings of stream folders."""

    def __init__(self) -> None:
        super().__init__()
        self.stream_listings = 0

    def list_keys(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        if "streams/" in prefix:
            self.stream_listings += 1
        return super().list_keys(prefix, start_after)


def test_write_checkpoint_sweep_then_merge_without_listing() -> None:
    """A sweep covers every stream; given heads are merged without listing the streams."""
    store = _CountingStore()
    log = EventLog(store, "p/")
    head_a = _append(log, STREAM, 3)
    other = StreamId(program="psp-2017", jurisdiction="baltimore-md")
    _append(log, other, 1)
    first = write_checkpoint(log, SIGNER, time=T0)
    assert first == "p/checkpoints/00000000000000000000.json"
    assert write_checkpoint(log, SIGNER, time=T0) is None
    listings = store.stream_listings
    newer = (head_a[0] + 1, "d" * 64)
    assert write_checkpoint(log, SIGNER, time=T0, heads={STREAM: newer}) is not None
    assert store.stream_listings == listings
    latest = latest_checkpoint(store, "p/")
    assert latest is not None
    assert latest.seq == 1
    assert (latest.heads[STREAM.name].seq, latest.heads[STREAM.name].hash) == newer
    assert other.name in latest.heads
    assert latest.prev_signature == parse_checkpoint(store.get(first) or b"").signature
    stale = {STREAM: head_a}
    assert write_checkpoint(log, SIGNER, time=T0, heads=stale) is None


def test_write_checkpoint_retries_after_a_rival() -> None:
    """When another writer takes the next checkpoint seq, the writer re-reads and merges."""
    store = MemoryObjectStore()
    log = EventLog(store, "")
    _append(log, STREAM, 1)
    write_checkpoint(log, SIGNER, time=T0)
    rival_heads = {"psp-2017/stockton-ca": (0, "e" * 64), "jag-2017/stockton-ca": (5, "f" * 64)}
    latest = latest_checkpoint(store, "")
    assert latest is not None
    rival = seal_checkpoint(
        seq=1, time=T0, heads=rival_heads, prev_signature=latest.signature, signer=SIGNER
    )
    original_get = store.get
    calls = {"n": 0}

    def racing_get(key: str, *, limit: int = MAX_OBJECT_BYTES) -> bytes | None:
        if key.startswith("checkpoints/") and calls["n"] == 0:
            calls["n"] += 1
            body = original_get(key, limit=limit)
            store.put_if_absent(checkpoint_key("", 1), rival.to_bytes())
            return body
        return original_get(key, limit=limit)

    store.get = racing_get  # type: ignore[method-assign]
    written = write_checkpoint(log, SIGNER, time=T0, heads={STREAM: (1, "9" * 64)})
    assert written == checkpoint_key("", 2)
    final = latest_checkpoint(store, "")
    assert final is not None
    assert final.heads["jag-2017/stockton-ca"].seq == 5
    assert final.heads[STREAM.name].seq == 1


def test_cli_keys_generate(tmp_path: Path) -> None:
    """`keys generate DIR` writes the pair and prints the fingerprint; a second run exits 2."""
    runner = CliRunner()
    result = runner.invoke(
        app, ["keys", "generate", str(tmp_path / "k"), "--valid-from", "2024-01-01T00:00:00"]
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (
        shown["fingerprint"]
        == load_keyring(tmp_path / "k" / "verify-keys.json").keys[0].fingerprint
    )
    assert shown["valid_from"].startswith("2024-01-01T00:00:00")
    again = runner.invoke(app, ["keys", "generate", str(tmp_path / "k")])
    assert again.exit_code == 2
