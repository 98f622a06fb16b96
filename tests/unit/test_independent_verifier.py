"""A second verifier written only from docs/log-format.md agrees with ours on a fixture log."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.directory_store import DirectoryObjectStore
from infra.eventlog.log import EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.identity.keys import write_keyring
from schemas.base.canonical import canonical_json
from schemas.events.catalog import DomainEvent, LetterSent, ReminderSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.cumulative_checkpoint import KeyEntry, Keyring, Signer
from schemas.log.streams import StreamId
from tests import independent_verifier
from usecases.verify import verify_store

T0 = datetime(2017, 8, 3, tzinfo=UTC)
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
OUTSIDER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(3, 35))))
STREAMS = (
    StreamId(program="psp-2017", jurisdiction="stockton-ca"),
    StreamId(program="psp-2017", jurisdiction="san-bernardino-ca"),
    StreamId.registry(),
)


def _fixture(root: Path, commit_signer: Signer | None = SIGNER) -> Path:
    """Write a small signed log (with non-ASCII data) as a downloaded copy; return its keyring.

    With `commit_signer=None` the commits are round-1 `/1` ones, attested only by the signed
    cumulative checkpoints (docs/log-format.md section 3).
    """
    store = MemoryObjectStore()
    log = EventLog(store, "")
    letter = LetterSent(letter_sha256="a" * 64, letter_date=T0.date(), response_due=None,
                        delivery="none", recipient="Policía <jefa@example.org>")  # fmt: skip
    reminder = ReminderSent(letter_sha256="a" * 64, response_due=None, delivery="none")
    for stream in STREAMS[:2]:
        prev = GENESIS
        batches: list[list[DomainEvent]] = [[letter], [reminder, reminder], [reminder]]
        for seq, payloads in enumerate(batches):
            commit = seal_commit(
                stream=stream, seq=seq, prev=prev, idempotency_key=f"k{seq}", payloads=payloads,
                time=T0 + timedelta(days=seq), actor="clerk", flow_run_id="run-1",
                signer=commit_signer,
            )  # fmt: skip
            log.append(commit)
            prev = commit.hash
            write_checkpoint(log, SIGNER, time=T0 + timedelta(days=seq, hours=1))
    for key in store.list_keys(""):
        path = root / "log" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(store.get(key) or b"")
    keyring = root / "verify-keys.json"
    entry = KeyEntry(fingerprint=SIGNER.fingerprint, public_key=SIGNER.public_bytes.hex(),
                     valid_from=T0)  # fmt: skip
    write_keyring(keyring, Keyring(keys=(entry,)))
    return keyring


def _ours(root: Path, keyring: Path) -> bool:
    from infra.identity.keys import load_keyring  # noqa: PLC0415 - keeps the two verifiers' imports apart

    return verify_store(DirectoryObjectStore(root), "", load_keyring(keyring)).ok


def test_both_verifiers_accept_the_untouched_fixture(tmp_path: Path) -> None:
    """On the untouched fixture the independent verifier finds nothing, and neither do we."""
    keyring = _fixture(tmp_path)
    assert independent_verifier.verify(tmp_path / "log", keyring) == []
    assert _ours(tmp_path / "log", keyring)


def test_independent_canonical_form_matches_ours() -> None:
    """The document's canonical JSON rules give our bytes, escapes and non-ASCII included."""
    value = {"b": [1, -2, True, None], "a": 'é \u2028 \x01 \n "q" \\', "Z": {}}
    assert independent_verifier.canonical(value) == canonical_json(value)


def _flip(root: Path) -> None:
    path = root / "streams/psp-2017/stockton-ca/00000000000000000001.json"
    path.write_bytes(path.read_bytes().replace(b'"clerk"', b'"clerx"', 1))


def _drop_tail(root: Path) -> None:
    (root / "streams/psp-2017/stockton-ca/00000000000000000002.json").unlink()


def _drop_middle(root: Path) -> None:
    (root / "streams/psp-2017/san-bernardino-ca/00000000000000000001.json").unlink()


def _swap(root: Path) -> None:
    folder = root / "streams/psp-2017/stockton-ca"
    one, two = folder / "00000000000000000001.json", folder / "00000000000000000002.json"
    first, second = one.read_bytes(), two.read_bytes()
    one.write_bytes(second)
    two.write_bytes(first)


def _move(root: Path) -> None:
    shutil.copy(
        root / "streams/psp-2017/stockton-ca/00000000000000000002.json",
        root / "streams/psp-2017/san-bernardino-ca/00000000000000000003.json",
    )


def _forge(root: Path) -> None:
    path = root / "checkpoints/00000000000000000005.json"
    path.write_bytes(path.read_bytes().replace(b'"seq":2', b'"seq":1', 1))


def _append_forged(root: Path, signer: Signer | None) -> None:
    """Chain a fourth commit onto stockton-ca with storage access only (no key of ours)."""
    folder = root / "streams/psp-2017/stockton-ca"
    head = json.loads((folder / "00000000000000000002.json").read_bytes())
    forged = seal_commit(
        stream=STREAMS[0], seq=3, prev=head["hash"], idempotency_key="override",
        payloads=[ReminderSent(letter_sha256="b" * 64, response_due=None, delivery="none")],
        time=T0 + timedelta(days=3), actor="mallory", signer=signer,
    )  # fmt: skip
    (folder / "00000000000000000003.json").write_bytes(forged.to_bytes())


def _unsigned(root: Path) -> None:
    _append_forged(root, None)


def _outsider(root: Path) -> None:
    _append_forged(root, OUTSIDER)


def _stripped(root: Path) -> None:
    """Drop a signed commit's `sig` but keep its /2 format: malformed."""
    path = root / "streams/psp-2017/stockton-ca/00000000000000000001.json"
    document = json.loads(path.read_bytes())
    del document["sig"]
    path.write_bytes(canonical_json(document))


@pytest.mark.parametrize(
    "tamper",
    [_flip, _drop_tail, _drop_middle, _swap, _move, _forge, _unsigned, _outsider, _stripped],
)
def test_both_verifiers_catch_tampering(tmp_path: Path, tamper: Callable[[Path], None]) -> None:
    """Each tampering is caught by the independent verifier and by ours alike."""
    keyring = _fixture(tmp_path)
    tamper(tmp_path / "log")
    assert independent_verifier.verify(tmp_path / "log", keyring) != []
    assert not _ours(tmp_path / "log", keyring)


def test_both_verifiers_accept_a_round_one_log_and_catch_a_planted_unsigned_commit(
    tmp_path: Path,
) -> None:
    """`/1` commits under the signed heads are attested; one chained past them is not."""
    keyring = _fixture(tmp_path, commit_signer=None)
    assert independent_verifier.verify(tmp_path / "log", keyring) == []
    assert _ours(tmp_path / "log", keyring)
    _unsigned(tmp_path / "log")
    assert independent_verifier.verify(tmp_path / "log", keyring) == [
        ("psp-2017/stockton-ca 3", "unsigned")
    ]
    assert not _ours(tmp_path / "log", keyring)


def _tlog_copy(root: Path) -> Path:
    """A log integrated into the tlog under prefix p/, with a skipped junk claim; copied to ''."""
    from schemas.log.commit_signature import signer_keyring  # noqa: PLC0415 - tlog tests only
    from tests.unit.test_tlog_integrator import A, B, _append, _integrator, _log  # noqa: PLC0415
    from tests.unit.test_tlog_sequencer import _junk_claim, _plant_claim  # noqa: PLC0415

    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 2)
    _integrator(log).integrate(None, time=T0)
    _plant_claim(store, 1, _junk_claim(1, 2))
    _append(log, B, 1)
    _integrator(log).integrate(None, time=T0 + timedelta(days=400))
    for key in store.list_keys("p/"):
        path = root / "log" / key.removeprefix("p/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(store.get(key) or b"")
    keyring = root / "verify-keys.json"
    write_keyring(keyring, signer_keyring(SIGNER))
    return keyring


def test_both_verifiers_read_the_signed_batches_and_name_the_skipped_claim(
    tmp_path: Path,
) -> None:
    """The /2 chain from the docs alone: the skipped claim named, nothing else; then a forgery."""
    keyring = _tlog_copy(tmp_path)
    log = tmp_path / "log"
    assert independent_verifier.verify(log, keyring) == [("tlog batch 1", "abandoned")]
    from infra.identity.keys import load_keyring  # noqa: PLC0415 - the two verifiers apart

    ours = verify_store(DirectoryObjectStore(log), "", load_keyring(keyring))
    assert [f.kind.value for f in ours.findings] == ["abandoned_batch"]
    claim = log / "tlog" / "batches" / "00000000000000000" / "00000000000000000002.json"
    claim.write_bytes(claim.read_bytes().replace(b'"sweep":true', b'"sweep":false'))
    assert ("tlog batch 2", "its note does not sign it") in independent_verifier.verify(
        log, keyring
    )
    ours = verify_store(DirectoryObjectStore(log), "", load_keyring(keyring))
    assert "forged_checkpoint" in [f.kind.value for f in ours.findings]
