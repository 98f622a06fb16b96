"""Commits and checkpoints are read at most to their cap + 1 bytes, never whole (issue #13).

An insider can plant a 10 MB (or 3 GB) object at a commit or checkpoint key. Every reader
asks the store for no more than the parser accepts plus one byte, so the object costs a
bounded read and one `bad_format` finding by key.
"""

from __future__ import annotations

from pathlib import Path

from infra.eventlog.checkpoints import trusted_latest_checkpoint, write_checkpoint
from infra.eventlog.directory_store import DirectoryObjectStore
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.eventlog.store import MAX_OBJECT_BYTES
from schemas.audit.verify import FindingKind
from schemas.log.commit import MAX_COMMIT_BYTES
from schemas.log.cumulative_checkpoint import MAX_CHECKPOINT_BYTES
from tests.unit.test_verify import KEYRING, PREFIX, SIGNER, A, B, build, key
from usecases.export import export_store
from usecases.verify import verify_store

TEN_MB = 10 * 1024 * 1024


class RecordingStore(MemoryObjectStore):
    """A memory store that records each read's key, limit and how many bytes it returned."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[tuple[str, int, int]] = []

    def get(self, key: str, *, limit: int = MAX_OBJECT_BYTES) -> bytes | None:
        body = super().get(key, limit=limit)
        self.reads.append((key, limit, 0 if body is None else len(body)))
        return body


class RecordingCopy(DirectoryObjectStore):
    """A downloaded copy that records how many bytes each read returned."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.returned: dict[str, int] = {}

    def get(self, key: str, *, limit: int = MAX_OBJECT_BYTES) -> bytes | None:
        body = super().get(key, limit=limit)
        self.returned[key] = 0 if body is None else len(body)
        return body


def _caps_asked(store: RecordingStore) -> set[tuple[str, int]]:
    """(kind of key, limit) of every read so far."""
    kinds = {f"{PREFIX}streams/": "commit", f"{PREFIX}checkpoints/": "checkpoint"}
    return {
        (next((kind for start, kind in kinds.items() if k.startswith(start)), k), limit)
        for k, limit, _ in store.reads
    }


def test_the_memory_store_cuts_at_limit_plus_one() -> None:
    """A store returns at most `limit` + 1 bytes: one more than the parser accepts."""
    store = MemoryObjectStore()
    store.put_if_absent("k", b"x" * 100)
    assert store.get("k", limit=10) == b"x" * 11
    assert store.get("k", limit=100) == b"x" * 100


def test_every_reader_asks_for_its_cap() -> None:
    """verify, the writers' checkpoint check, the sweep and stream reads pass their caps."""
    store = RecordingStore()
    build(store)
    verify_store(store, PREFIX, KEYRING)
    trusted_latest_checkpoint(store, PREFIX, KEYRING)
    log = EventLog(store, PREFIX, CommitKeys(signer=SIGNER, keyring=KEYRING))
    log.trusted_states([A, B])
    log.read_stream(A)
    write_checkpoint(log, SIGNER, time=log.read_stream(A)[-1].time)
    assert _caps_asked(store) == {
        ("commit", MAX_COMMIT_BYTES),
        ("checkpoint", MAX_CHECKPOINT_BYTES),
    }


def test_a_ten_megabyte_commit_in_a_copy_is_one_finding_read_in_part(tmp_path: Path) -> None:
    """A 10 MB object at a commit key: read to the cap + 1, one bad_format by key, B intact."""
    source = MemoryObjectStore()
    build(source)
    export_store(source, PREFIX, tmp_path)
    relative = key(A, 1)[len(PREFIX) :]
    (tmp_path / relative).write_bytes(b"{" + b" " * TEN_MB)
    copy = RecordingCopy(tmp_path)
    report = verify_store(copy, "", KEYRING)
    assert copy.returned[relative] == MAX_COMMIT_BYTES + 1
    bad = [f for f in report.findings if f.kind == FindingKind.BAD_FORMAT]
    assert [f.key for f in bad] == [relative]
    assert all(f.jurisdiction != B.jurisdiction for f in report.findings)
