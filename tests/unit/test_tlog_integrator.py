"""The transparency-log integrator on the memory store: pending commits, races, tampering."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.errors import UntrustedCheckpointError
from infra.eventlog.integrator import Integrator
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.eventlog.store import ObjectStore
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.commit_signature import signer_keyring
from schemas.log.cumulative_checkpoint import Signer
from schemas.log.streams import StreamId, commit_key
from schemas.tlog.layout import Batch, batch_key, checkpoint_note_key, log_origin, tile_key
from schemas.tlog.merkle import inclusion_proof, leaf_hash, verify_inclusion
from schemas.tlog.tiles import Tile, tile_hash_reader

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
KEYRING = signer_keyring(SIGNER)
ORIGIN = log_origin("bucket", "p/")
A = StreamId(program="psp-2017", jurisdiction="stockton-ca")
B = StreamId(program="psp-2017", jurisdiction="baltimore-md")


def _log(store: ObjectStore | None = None) -> EventLog:
    return EventLog(store or MemoryObjectStore(), "p/", CommitKeys(SIGNER, KEYRING))


def _integrator(log: EventLog) -> Integrator:
    return Integrator(log, origin=ORIGIN, signer=SIGNER, keyring=KEYRING)


def _append(
    log: EventLog, stream: StreamId, count: int, start: int = 0, time: datetime = T0
) -> int:
    prev = GENESIS if start == 0 else log.read_stream(stream)[-1].hash
    for seq in range(start, start + count):
        commit = seal_commit(
            stream=stream, seq=seq, prev=prev, idempotency_key=f"k{seq}",
            payloads=[LetterSent(letter_sha256="a" * 64, letter_date=T0.date(),
                                 response_due=None, delivery="none")],
            time=time, actor="test", signer=log.signer,
        )  # fmt: skip
        log.append(commit)
        prev = commit.hash
    return start + count - 1


def _leaves(log: EventLog) -> dict[str, int]:
    """Where each commit sits, read from the signed batches (no per-commit index)."""
    reader = Integrator(_log(log.store), origin=ORIGIN, signer=None, keyring=KEYRING)
    chain = reader.batches.chain(reader.newest().seq)
    return {
        key: signed.batch.old_size + offset
        for signed in chain
        for offset, key in enumerate(signed.batch.commits)
    }


def test_sweep_integrates_every_commit_once_and_signs_a_small_checkpoint() -> None:
    """Every commit becomes one leaf; the note verifies, is < 1 KB, and proofs check out."""
    log = _log()
    _append(log, A, 3)
    _append(log, B, 2)
    checkpoint = _integrator(log).integrate(None, time=T0)
    assert checkpoint.head.size == 5
    assert len(checkpoint.note) < 1024
    leaves = _leaves(log)
    assert sorted(leaves.values()) == list(range(5))
    hash_at = tile_hash_reader(5, lambda t: log.store.get(tile_key("p/", t)) or b"")
    for key, index in leaves.items():
        proof = inclusion_proof(index, 5, hash_at)
        body = log.store.get(key) or b""
        assert verify_inclusion(index, 5, leaf_hash(body), proof, checkpoint.head.root)
    again = _integrator(log).integrate(None, time=T0)
    assert again.seq == checkpoint.seq  # nothing pending: nothing signed


def test_a_writer_integrates_what_it_wrote_and_its_head_a_dead_runs_commits_wait_for_the_sweep(
) -> None:  # fmt: skip
    """A run integrates its own commits and the head it names.

    Another process's earlier commits on the stream (a run that died before integrating)
    are the sweep's.
    """
    log = _log()
    _append(log, A, 2)
    _integrator(log).integrate({A: 1}, time=T0)
    _append(_log(log.store), A, 2, start=2)  # seqs 2, 3: another process that died
    head = _append(log, A, 1, start=4)
    checkpoint = _integrator(log).integrate({A: head}, time=T0)
    assert checkpoint.head.size == 3
    assert set(_leaves(log)) == {commit_key("p/", A, seq) for seq in (0, 1, 4)}
    assert _integrator(log).integrate(None, time=T0).head.size == 5
    assert set(_leaves(log)) == {commit_key("p/", A, seq) for seq in range(5)}


def test_a_head_this_process_did_not_write_is_integrated_once() -> None:
    """A retry that found its commit stored names it as head: integrated if no batch holds it."""
    store = MemoryObjectStore()
    _append(_log(store), A, 1)  # written by a process that died
    first = _integrator(_log(store)).integrate({A: 0}, time=T0)
    assert first.head.size == 1
    again = _integrator(_log(store)).integrate({A: 0}, time=T0)
    assert (again.seq, again.head.size) == (first.seq, 1)  # found in the tree: not twice


def test_sweep_finds_a_dead_runs_commit_in_another_stream() -> None:
    """The hourly sweep (heads=None) finds commits no run reported."""
    log = _log()
    _append(log, A, 1)
    _append(_log(log.store), B, 1)  # another process, which died before integrating
    assert _integrator(log).integrate({A: 0}, time=T0).head.size == 1
    assert _integrator(log).integrate(None, time=T0).head.size == 2


def test_always_sign_writes_a_fresh_checkpoint_when_nothing_changed() -> None:
    """The hourly run signs a new checkpoint even with nothing pending."""
    log = _log()
    _append(log, A, 1)
    first = _integrator(log).integrate(None, time=T0)
    fresh = _integrator(log).integrate(None, time=T0, always_sign=True)
    assert (fresh.seq, fresh.head.size) == (first.seq + 1, first.head.size)


def test_a_loser_finishes_the_winners_batch_then_integrates_on_top() -> None:
    """A rival's claim on the same seq is finished (even if it died) and ours goes on top."""
    log = _log()
    _append(log, A, 1)
    _append(log, B, 1)
    integrator = _integrator(log)
    rival = Batch(seq=0, prev=-1, old_size=0, commits=(commit_key("p/", B, 0),), time=T0)
    original = integrator.tlog.claim

    def racing_claim(seq: int, raw: bytes) -> bool:
        log.store.put_if_absent(batch_key("p/", 0), rival.to_bytes())  # the rival died here
        integrator.tlog.claim = original  # type: ignore[method-assign]
        return original(seq, raw)

    integrator.tlog.claim = racing_claim  # type: ignore[method-assign]
    checkpoint = integrator.integrate(None, time=T0)
    assert (checkpoint.seq, checkpoint.head.size) == (1, 2)
    assert _leaves(log) == {commit_key("p/", B, 0): 0, commit_key("p/", A, 0): 1}


def test_a_modified_tile_stops_the_integrator_before_it_signs() -> None:
    """A tile whose bytes changed is tree_mismatch: exit 3, no new batch claimed."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 3)
    _integrator(log).integrate(None, time=T0)
    key = tile_key("p/", Tile(0, 0, 3))
    data = bytearray(store.get(key) or b"")
    data[0] ^= 1
    store._objects[key] = bytes(data)
    _append(log, B, 1)
    with pytest.raises(UntrustedCheckpointError, match="tree_mismatch"):
        _integrator(log).integrate(None, time=T0)
    assert store.get(batch_key("p/", 1)) is None


def test_a_checkpoint_by_an_unknown_key_is_refused() -> None:
    """The newest note must be signed by a key of the keyring valid at its batch's time."""
    log = _log()
    _append(log, A, 1)
    _integrator(log).integrate(None, time=T0)
    other = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))
    with pytest.raises(UntrustedCheckpointError, match="forged_checkpoint"):
        Integrator(log, origin=ORIGIN, signer=other, keyring=signer_keyring(other)).newest()


def test_an_unsigned_commit_is_left_out_of_the_tree() -> None:
    """A commit no trusted writer signed is never signed over (audit reports it)."""
    store = MemoryObjectStore()
    _append(_log(store), A, 1)
    _append(EventLog(store, "p/"), B, 1)  # unsigned writer
    checkpoint = _integrator(_log(store)).integrate(None, time=T0)
    assert checkpoint.head.size == 1
    assert store.get(checkpoint_note_key("p/", 0)) is not None
