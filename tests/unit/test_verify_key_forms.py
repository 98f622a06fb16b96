"""GRANTREVIEW_VERIFY_KEY_FILE holds a JSON keyring or one Ed25519 public key in PEM."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.log import EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.identity.keys import generate_key_pair, load_keyring, load_signer, public_key_pem
from schemas.base.errors import InputError
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.streams import StreamId
from usecases.verify import verify_store

T0 = datetime(2017, 8, 3, tzinfo=UTC)
PREFIX = "p/"


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """A fresh signing key and its JSON keyring."""
    return generate_key_pair(tmp_path / "keys", valid_from=datetime(2000, 1, 1, tzinfo=UTC))


def _pem_of(pair: tuple[Path, Path], tmp_path: Path) -> Path:
    """The public key as `openssl pkey -pubout` writes it."""
    public = load_signer(pair[0]).private_key.public_key()
    path = tmp_path / "verify-key.pem"
    path.write_bytes(public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return path


def test_pem_public_key_is_a_keyring_of_one_key_valid_forever(
    pair: tuple[Path, Path], tmp_path: Path
) -> None:
    """A PEM public key loads as one entry with the JSON keyring's fingerprint, no end."""
    from_json = load_keyring(pair[1]).keys[0]
    (entry,) = load_keyring(_pem_of(pair, tmp_path)).keys
    assert (entry.fingerprint, entry.public_key) == (from_json.fingerprint, from_json.public_key)
    assert entry.valid_until is None
    assert entry.covers(datetime(1950, 1, 1, tzinfo=UTC))
    assert public_key_pem(entry.public_key) == _pem_of(pair, tmp_path).read_text()


def test_a_log_verifies_with_either_form(pair: tuple[Path, Path], tmp_path: Path) -> None:
    """The same signed log verifies with the JSON keyring and with the PEM public key."""
    signer = load_signer(pair[0])
    store = MemoryObjectStore()
    log = EventLog(store, PREFIX)
    stream = StreamId(program="psp-2017", jurisdiction="stockton-ca")
    letter = LetterSent(
        letter_sha256="0" * 64, letter_date=T0.date(), response_due=None, delivery="none"
    )
    commit = seal_commit(
        stream=stream, seq=0, prev=GENESIS, idempotency_key="k0", payloads=[letter],
        time=T0, actor="test", signer=signer,
    )  # fmt: skip
    assert log.append(commit)
    write_checkpoint(log, signer, time=T0)
    for key_file in (pair[1], _pem_of(pair, tmp_path)):
        report = verify_store(store, PREFIX, load_keyring(key_file))
        assert report.ok, (key_file.name, report.findings)


def test_other_pem_keys_and_garbage_are_refused_in_one_line(tmp_path: Path) -> None:
    """An EC key in PEM, a private key or bytes that are neither JSON nor PEM: InputError."""
    ec = generate_private_key(SECP256R1()).public_key()
    ec_path = tmp_path / "ec.pem"
    ec_path.write_bytes(ec.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(InputError, match="not Ed25519"):
        load_keyring(ec_path)
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(InputError, match="not a PEM public key"):
        load_keyring(broken)
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\xff\xfe")
    with pytest.raises(InputError, match="neither a JSON keyring nor a PEM public key"):
        load_keyring(garbage)
