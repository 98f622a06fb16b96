"""The tlog as a sequencer (issue #21): signed batches, stale claims skipped, hints checked."""

from __future__ import annotations

from datetime import timedelta

from infra.eventlog.log import EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from schemas.base.canonical import canonical_json
from schemas.log.streams import StreamId, commit_key
from schemas.tlog.checkpoint import TreeHead, sign_checkpoint
from schemas.tlog.layout import (
    BATCH_FORMAT_V1,
    SUPERSEDE_AFTER,
    Batch,
    batch_key,
    checkpoint_note_key,
    index_body,
    index_key,
    parse_batch,
    published_checkpoint_key,
    tile_key,
)
from schemas.tlog.merkle import leaf_hash
from schemas.tlog.tiles import Tile, integrate_tiles
from tests.support.counting import CountingStore
from tests.unit.test_tlog_integrator import (
    KEYRING,
    ORIGIN,
    SIGNER,
    T0,
    A,
    B,
    _append,
    _integrator,
    _leaves,
    _log,
)
from usecases.verify import verify_store

LATER = T0 + timedelta(hours=1)


def _kinds(store: MemoryObjectStore) -> list[str]:
    return [f.kind.value for f in verify_store(store, "p/", KEYRING).findings]


def _snapshot(store: MemoryObjectStore) -> dict[str, bytes]:
    return {key: store.get(key) or b"" for key in store.list_keys("")}


def _plant_claim(store: MemoryObjectStore, seq: int, body: bytes) -> None:
    assert store.put_if_absent(batch_key("p/", seq), body)


def _one_leaf() -> tuple[MemoryObjectStore, EventLog]:
    """A log whose tree holds one commit of stream A, signed as batch 0."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 1)
    _integrator(log).integrate(None, time=T0)
    return store, log


def _sound_claim(seq: int, old_size: int, key: str) -> bytes:
    """A claim an honest integrator left before it died: one real, pending commit."""
    return Batch(seq=seq, prev=seq - 1, old_size=old_size, commits=(key,), time=T0).to_bytes()


def _junk_claim(seq: int, old_size: int) -> bytes:
    """A claim naming a commit that does not exist, as an insider without the key plants it."""
    missing = commit_key("p/", B, 99)
    return Batch(
        seq=seq, prev=seq - 1, old_size=old_size, commits=(missing,), time=LATER
    ).to_bytes()


def test_the_checkpoint_signs_its_batch_and_is_published_for_tlog_clients() -> None:
    """The note's extension line names the claim's hash; `tlog/checkpoint` is the newest note."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 2)
    newest = _integrator(log).integrate(None, time=T0)
    claim = store.get(batch_key("p/", 0)) or b""
    assert parse_batch(claim).prev == -1
    assert newest.head.extensions[0].startswith("grantreview.tlog-batch/2 0 ")
    assert store.get(published_checkpoint_key("p/")) == newest.note
    assert _kinds(store) == []


def test_reading_the_newest_checkpoint_writes_nothing() -> None:
    """A claim without a note stays as it is: `newest` reads, only `integrate` finishes."""
    store, log = _one_leaf()
    _append(log, A, 1, start=1)
    _plant_claim(store, 1, _sound_claim(1, 1, commit_key("p/", A, 1)))
    before = _snapshot(store)
    assert _integrator(log).newest().seq == 0
    assert _snapshot(store) == before


def test_a_sound_claim_left_by_a_dead_integrator_is_finished() -> None:
    """A claim whose commits all verify is finished by the next integrator, never skipped."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 2)
    _plant_claim(store, 0, _sound_claim(0, 0, commit_key("p/", A, 0)))
    newest = _integrator(log).integrate(None, time=T0)
    assert (newest.seq, newest.head.size) == (1, 2)
    assert _kinds(store) == []


def test_a_junk_claim_holds_up_integration_only_until_it_is_stale() -> None:
    """Within the bound the writer defers (no error); after it, the claim is skipped on record."""
    store, log = _one_leaf()
    _plant_claim(store, 1, _junk_claim(1, 1))
    _append(log, A, 1, start=1, time=LATER)
    deferred = _integrator(log).integrate({A: 1}, time=LATER + timedelta(minutes=1))
    assert deferred.seq == 0  # nothing raised, nothing signed over the junk
    assert "abandoned_batch" not in _kinds(store)
    after = _integrator(log).integrate({A: 1}, time=LATER + SUPERSEDE_AFTER)
    assert (after.seq, after.head.size) == (2, 2)
    assert parse_batch(store.get(batch_key("p/", 2)) or b"").prev == 0
    assert _kinds(store) == ["abandoned_batch"]


def test_a_claim_dated_in_the_future_is_skipped_at_once() -> None:
    """A planted claim cannot buy itself time by its unsigned date."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 1)
    future = Batch(seq=0, prev=-1, old_size=0, commits=(commit_key("p/", A, 0),),
                   time=T0 + timedelta(days=365))  # fmt: skip
    _plant_claim(store, 0, future.to_bytes())
    newest = _integrator(log).integrate({A: 0}, time=T0)
    assert (newest.seq, newest.head.size) == (1, 1)
    assert _kinds(store) == ["abandoned_batch"]


def test_a_planted_index_entry_does_not_keep_a_commit_out() -> None:
    """An entry for a commit not yet written is only a hint; the run integrates the commit."""
    store, log = _one_leaf()
    planted = commit_key("p/", A, 1)
    assert store.put_if_absent(index_key("p/", planted), index_body(0, 0))
    _append(log, A, 1, start=1)
    newest = _integrator(log).integrate({A: 1}, time=T0)
    assert newest.head.size == 2
    assert "tree_mismatch" in _kinds(store)  # the planted entry itself is named


def test_a_commit_kept_out_is_not_in_tree_without_any_sweep() -> None:
    """Past the integration bound a missing leaf is a finding, with only run batches signed."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 1)
    _append(_log(store), B, 1)  # by another process, never integrated
    _integrator(log).integrate({A: 0}, time=T0 + timedelta(minutes=5))
    assert "not_in_tree" not in _kinds(store)
    _append(log, A, 1, start=1, time=T0 + timedelta(hours=2))
    _integrator(log).integrate({A: 1}, time=T0 + timedelta(hours=2))
    assert "not_in_tree" in _kinds(store)


def test_integration_writes_nothing_per_commit() -> None:
    """Tiles, the claim, the note and the published checkpoint: no index entry (issue #21)."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 300)
    before = set(store.list_keys("p/tlog/"))
    _integrator(log).integrate(None, time=T0)
    written = set(store.list_keys("p/tlog/")) - before
    assert not [key for key in written if key.startswith("p/tlog/index/")]
    assert len(written) == 6  # claim, note, checkpoint, tile 0 full, .p/44, level-1 .p/1
    reader = _integrator(log)
    newest = reader.newest().seq
    assert reader.batches.leaf_of(commit_key("p/", A, 299), newest, T0) == 299


def test_a_planted_or_rewritten_index_entry_is_found_and_misleads_no_receipt() -> None:
    """An entry as older logs wrote, pointing at another leaf: verify names it.

    The lookup finds the true leaf in the signed batches.
    """
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 2)
    _integrator(log).integrate(None, time=T0)
    key = commit_key("p/", A, 1)
    assert store.put_if_absent(index_key("p/", key), index_body(0, 0))
    assert "tree_mismatch" in _kinds(store)
    reader = _integrator(log)
    assert reader.batches.leaf_of(key, reader.newest().seq) == 1
    assert reader.batches.leaf_of(key, reader.newest().seq, T0) == 1
    missing = commit_key("p/", A, 7)
    assert store.put_if_absent(index_key("p/", missing), index_body(1, 0))
    assert reader.batches.leaf_of(missing, reader.newest().seq) is None


def test_a_head_with_another_hash_than_the_run_appended_is_left_out() -> None:
    """`expected` hashes are checked: a commit the run did not write is not integrated for it."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 1)
    log.written.clear()  # as if another process wrote it
    key = commit_key("p/", A, 0)
    newest = _integrator(log).integrate({A: 0}, time=T0, expected={key: "0" * 64})
    assert newest.seq == -1


def _v1_log(store: MemoryObjectStore) -> None:
    """A log integrated before issue #21: a /1 claim, an unextended note, an index entry."""
    log = _log(store)
    _append(log, A, 1)
    key = commit_key("p/", A, 0)
    batch = Batch(format=BATCH_FORMAT_V1, seq=0, old_size=0, commits=(key,), time=T0)
    written = integrate_tiles(0, [leaf_hash(store.get(key) or b"")], lambda _: b"")
    for tile, data in written.tiles:
        assert store.put_if_absent(tile_key("p/", tile), data)
    assert store.put_if_absent(index_key("p/", key), index_body(0, 0))
    assert store.put_if_absent(batch_key("p/", 0), batch.to_bytes())
    note = sign_checkpoint(TreeHead(ORIGIN, written.size, written.root), SIGNER.private_key)
    assert store.put_if_absent(checkpoint_note_key("p/", 0), note.encode())
    assert "prev" not in batch.to_bytes().decode()


def test_an_old_log_keeps_verifying_and_the_cut_over_is_recorded() -> None:
    """/1 batches verify as before; new ones are /2 on top; a /1 after a /2 is forged."""
    store = MemoryObjectStore()
    _v1_log(store)
    assert _kinds(store) == []
    log = _log(store)
    _append(log, B, 1)
    newest = _integrator(log).integrate(None, time=T0)
    assert (newest.seq, newest.head.size) == (1, 2)
    assert _kinds(store) == []
    v1_after = canonical_json({"format": BATCH_FORMAT_V1, "seq": 2, "old_size": 2,
                               "commits": [], "time": "2024-01-01T00:00:00Z",
                               "sweep": False, "cutover": None})  # fmt: skip
    _plant_claim(store, 2, v1_after)
    head = TreeHead(ORIGIN, 2, newest.head.root)
    assert store.put_if_absent(
        checkpoint_note_key("p/", 2), sign_checkpoint(head, SIGNER.private_key).encode()
    )
    assert "forged_checkpoint" in _kinds(store)


def test_a_planted_note_is_passed_over_and_named_by_the_audit() -> None:
    """A note no key signed, far ahead: writers go on above it; verify names the note."""
    store, log = _one_leaf()
    far = checkpoint_note_key("p/", 1_000_000)
    assert store.put_if_absent(far, b"grantreview.tlog/bucket/p\n9\nAAAA\n\n- nobody x\n")
    _append(log, A, 1, start=1)
    newest = _integrator(log).integrate({A: 1}, time=T0)
    assert (newest.seq, newest.head.size) == (1_000_001, 2)
    assert parse_batch(store.get(batch_key("p/", 1_000_001)) or b"").prev == 0
    assert _kinds(store) == ["inconsistent_checkpoint"]  # a note without its batch


def test_a_planted_note_beside_an_open_claim_only_delays_it() -> None:
    """A sound claim with a junk note at its seq is skipped once stale, not finished into."""
    store, log = _one_leaf()
    _append(log, A, 1, start=1)
    _plant_claim(store, 1, _sound_claim(1, 1, commit_key("p/", A, 1)))
    assert store.put_if_absent(checkpoint_note_key("p/", 1), b"not a note\n")
    assert _integrator(log).integrate({A: 1}, time=T0).seq == 0  # deferred, no error
    newest = _integrator(log).integrate({A: 1}, time=T0 + SUPERSEDE_AFTER)
    assert (newest.seq, newest.head.size) == (2, 2)


def test_a_loser_builds_on_a_rival_that_finished_meanwhile() -> None:
    """A rival claims and signs the seq first: the loser goes on top, nothing is deferred."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 1)
    _append(log, B, 1)
    integrator = _integrator(log)
    original = integrator.tlog.claim

    def racing_claim(seq: int, raw: bytes) -> bool:
        integrator.tlog.claim = original  # type: ignore[method-assign]
        _integrator(_log(store)).integrate({B: 0}, time=T0)  # the rival wins and signs
        return original(seq, raw)

    integrator.tlog.claim = racing_claim  # type: ignore[method-assign]
    newest = integrator.integrate({A: 0}, time=T0)
    assert (newest.seq, newest.head.size) == (1, 2)
    assert _kinds(store) == []


def test_a_commit_is_found_from_its_time_in_a_few_reads_however_long_the_log() -> None:
    """Where a commit sits: a binary search of the batches by date, not a walk of them all."""
    store = CountingStore()
    log = _log(store)
    for hour in range(120):  # 120 hourly batches of one commit each
        moment = T0 + timedelta(hours=hour)
        _append(log, A, 1, start=hour, time=moment)
        _integrator(log).integrate({A: hour}, time=moment)
    reader = _integrator(_log(store))
    newest = reader.newest().seq
    store.reset()
    key = commit_key("p/", A, 37)
    assert reader.batches.leaf_of(key, newest, T0 + timedelta(hours=37)) == 37
    assert store.requests["GET"] <= 40  # claim and note of ~2·log2(120) probes and a few after
    assert store.requests["LIST"] == 0  # found from the top: no listing of the batches
    store.reset()
    recent = reader.batches.leaves_since(T0 + timedelta(hours=119), newest)
    assert recent[commit_key("p/", A, 119)] == 119
    assert store.requests["GET"] <= 2 * 8  # the batches of the last hour and a few probes
    assert store.requests["LIST"] == 0
    store.reset()
    assert reader.batches.leaf_of(commit_key("p/", A, 500), newest) is None
    assert store.requests["GET"] >= 120  # nothing said when it was written: every batch


def test_a_planted_tile_defers_writers_and_the_next_batch_goes_around_it() -> None:
    """Junk at the tile path the next batch needs: the writer defers, nothing signed over it.

    Once the claim is stale it is skipped and a batch of another size lands; the audit
    names the skipped claim.
    """
    store, log = _one_leaf()
    _append(log, A, 1, start=1)
    planted = tile_key("p/", Tile(0, 0, 2))
    assert store.put_if_absent(planted, b"\x00" * 64)
    deferred = _integrator(log).integrate({A: 1}, time=T0)
    assert (deferred.seq, deferred.head.size) == (0, 1)
    assert store.get(checkpoint_note_key("p/", 1)) is None
    _append(log, A, 1, start=2)
    newest = _integrator(log).integrate({A: 2}, time=T0 + SUPERSEDE_AFTER)
    assert (newest.seq, newest.head.size) == (2, 3)
    assert _kinds(store) == ["abandoned_batch"]


def _hourly_batches(count: int) -> CountingStore:
    """A log of `count` hourly batches of one commit each (a stream each), as writers leave it."""
    store = CountingStore()
    log = _log(store)
    for hour in range(count):
        moment = T0 + timedelta(hours=hour)
        stream = StreamId(program=A.program, jurisdiction=f"place-{hour}")
        _append(log, stream, 1, time=moment)
        _integrator(log).integrate({stream: 0}, time=moment)
    return store


def _idle_sweep(store: CountingStore, hours: int) -> tuple[int, int]:
    """Requests (GET, LIST) of one hourly sweep in a fresh process with nothing pending."""
    sweeper = _integrator(_log(store))  # remembers nothing of what was written
    store.reset()
    signed = sweeper.integrate(None, time=T0 + timedelta(hours=hours), always_sign=True)
    assert (signed.seq, signed.head.size) == (hours, hours)  # a fresh, empty batch
    return store.requests["GET"], store.requests["LIST"]


def test_an_idle_hourly_sweep_reads_no_more_on_a_long_log_than_on_a_short_one() -> None:
    """A fresh sweep with nothing pending reads the newest batches, never all of them."""
    short = _idle_sweep(_hourly_batches(30), 30)
    long = _idle_sweep(_hourly_batches(300), 300)
    assert long[1] == short[1]  # the same listings (the commits: one page each)
    assert long[0] <= short[0] + 6  # a few more tiles in a deeper tree, never per batch
    assert long[0] < 40  # reading every claim and note would be 600 GETs


def test_a_commit_the_idle_sweep_passes_over_is_still_reported() -> None:
    """Counts balance when a leaf's commit is gone and another is pending: verify names it."""
    store = _hourly_batches(3)
    gone = commit_key("p/", StreamId(program=A.program, jurisdiction="place-1"), 0)
    del store._objects[gone]  # what Object Lock forbids, done by hand
    store._keys.remove(gone)
    _append(_log(store), B, 1)  # a dead run's commit: listed count equals the tree size
    _integrator(_log(store)).integrate(None, time=LATER, always_sign=True)
    assert commit_key("p/", B, 0) not in _leaves(_log(store))
    kinds = _kinds(store)
    assert "tree_mismatch" in kinds  # the leaf whose commit is gone
    assert "not_in_tree" in kinds  # the commit passed over, sealed hours before the newest batch
