"""`audit verify` over the transparency log: clean when intact, each kind of damage named."""

from __future__ import annotations

from datetime import timedelta

from infra.eventlog.memory_store import MemoryObjectStore
from schemas.tlog.layout import checkpoint_note_key, tile_key
from schemas.tlog.tiles import Tile
from tests.unit.test_tlog_integrator import KEYRING, T0, A, B, _append, _integrator, _log
from usecases.verify import verify_store


def _kinds(store: MemoryObjectStore) -> list[str]:
    return [f.kind.value for f in verify_store(store, "p/", KEYRING).findings]


def _integrated(store: MemoryObjectStore) -> None:
    log = _log(store)
    _append(log, A, 3)
    _integrator(log).integrate(None, time=T0 + timedelta(hours=1))
    _append(log, B, 1)
    _integrator(log).integrate(None, time=T0 + timedelta(hours=2))


def test_an_intact_log_verifies_clean_and_reports_the_tree() -> None:
    """Every commit a leaf once, tiles give each root, checkpoints consistent: no findings."""
    store = MemoryObjectStore()
    _integrated(store)
    report = verify_store(store, "p/", KEYRING)
    assert [f.kind.value for f in report.findings if f.kind.value != "missing"] == []
    assert (report.tlog_checkpoints, report.tlog_size) == (2, 4)


def test_a_modified_tile_is_tree_mismatch() -> None:
    """One flipped bit in a tile: the tiles no longer give the signed root."""
    store = MemoryObjectStore()
    _integrated(store)
    key = tile_key("p/", Tile(0, 0, 4))
    data = bytearray(store.get(key) or b"")
    data[-1] ^= 1
    store._objects[key] = bytes(data)
    assert "tree_mismatch" in _kinds(store)


def test_a_commit_left_out_of_the_tree_is_not_in_tree() -> None:
    """A commit sealed well before the newest checkpoint but never integrated is named."""
    store = MemoryObjectStore()
    _integrated(store)
    _append(_log(store), B, 1, start=1)  # sealed at T0, two hours before the checkpoint
    assert "not_in_tree" in _kinds(store)


def test_a_deleted_checkpoint_in_the_chain_is_inconsistent() -> None:
    """A note removed from the middle of the chain breaks it."""
    store = MemoryObjectStore()
    _integrated(store)
    _integrator(_log(store)).integrate(None, time=T0 + timedelta(hours=3), always_sign=True)
    del store._objects[checkpoint_note_key("p/", 1)]
    store._keys.remove(checkpoint_note_key("p/", 1))
    assert "inconsistent_checkpoint" in _kinds(store)


def test_a_leaf_whose_commit_was_replaced_is_tree_mismatch() -> None:
    """A commit rewritten after integration no longer hashes to its leaf."""
    store = MemoryObjectStore()
    _integrated(store)
    key = "p/streams/psp-2017/baltimore-md/00000000000000000000.json"
    rewritten = MemoryObjectStore()
    _append(_log(rewritten), B, 1, time=T0 + timedelta(minutes=1))  # signed, intact, other bytes
    store._objects[key] = rewritten.get(key) or b""
    assert store.get(key) != b""
    kinds = _kinds(store)
    assert "tree_mismatch" in kinds
    assert "modified" not in kinds  # the hash chain alone cannot see it


def test_before_a_sweep_a_dead_runs_commit_is_pending_not_a_finding() -> None:
    """Runs integrate only the streams they touched: another stream's commit waits for the sweep."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 1)
    _append(_log(store), B, 1)  # another process's run that died before integrating
    _integrator(log).integrate({A: 0}, time=T0 + timedelta(hours=1))
    report = verify_store(store, "p/", KEYRING)
    assert [f.kind.value for f in report.findings] == []
    assert report.uncovered_commits == 1


def test_a_copy_under_another_prefix_verifies_clean() -> None:
    """Batches name commits under the writers' prefix; a copy under prefix '' still verifies."""
    store = MemoryObjectStore()
    _integrated(store)
    copy = MemoryObjectStore()
    for key in store.list_keys("p/"):
        assert copy.put_if_absent(key.removeprefix("p/"), store.get(key) or b"")
    report = verify_store(copy, "", KEYRING)
    assert [f.kind.value for f in report.findings if f.kind.value != "missing"] == []
    assert (report.tlog_checkpoints, report.tlog_size) == (2, 4)
