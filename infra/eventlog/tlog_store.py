"""The transparency log's objects over the object-store port: batches, notes, tiles.

Every object is written once. A second writer of the same key must have written the
same bytes (everything after a batch claim is deterministic); other bytes mean the log
was tampered with, and nothing is built on it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from infra.errors import UnsignedTileError, UntrustedCheckpointError
from infra.eventlog.listing import read_all
from infra.platform.logging import get_logger
from schemas.audit.auditor import TlogObjects
from schemas.tlog.layout import (
    Batch,
    BatchFormatError,
    batch_folder,
    batch_key,
    checkpoint_folder,
    checkpoint_note_key,
    parse_batch,
    parse_checkpoint_text_origin,
    parse_sequence_key,
    published_checkpoint_key,
    tile_key,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from infra.eventlog.store import ObjectStore
    from schemas.tlog.tiles import Tile

__all__ = ["TlogStore", "read_tlog"]

_log = get_logger(__name__)


class TlogStore:
    """Reads and write-once puts of `{prefix}tlog/`, with the checks every caller needs."""

    def __init__(self, store: ObjectStore, prefix: str) -> None:
        self.store = store
        self.prefix = prefix

    def newest_seq(self) -> int | None:
        """The highest claimed batch seq: two listings (the groups, then the last group)."""
        return self._newest_in(batch_folder(self.prefix))

    def newest_note_seq(self) -> int | None:
        """The highest seq with a checkpoint note (signed or planted: the caller verifies)."""
        return self._newest_in(checkpoint_folder(self.prefix))

    def _newest_in(self, folder: str) -> int | None:
        for group in reversed(self.store.list_folders(folder)):
            seqs = [parse_sequence_key(folder, key) for key in self.store.list_keys(group)]
            found = [seq for seq in seqs if seq is not None]
            if found:
                return max(found)
        return None

    def batch(self, seq: int) -> tuple[Batch, bytes] | None:
        """Batch `seq` and its exact bytes, or None if unclaimed; one that does not parse raises.

        Only call it for a batch a note vouches for: an unsigned claim that does not parse
        is `claims_after`'s to judge, not a reason to stop.
        """
        raw = self.store.get(batch_key(self.prefix, seq))
        if raw is None:
            return None
        try:
            batch = parse_batch(raw)
        except BatchFormatError as error:
            raise UntrustedCheckpointError(f"tlog batch {seq}: {error}") from None
        if batch.seq != seq:
            raise UntrustedCheckpointError(f"tlog batch {seq} says it is batch {batch.seq}")
        return batch, raw

    def claims_after(self, seq: int) -> list[tuple[int, bytes]]:
        """Every claim above batch `seq`, in order, as stored (unverified: anyone may plant one)."""
        folder = batch_folder(self.prefix)
        start = None if seq < 0 else batch_key(self.prefix, seq)
        keys = [(parse_sequence_key(folder, key), key) for key in self.store.list_keys(
            folder, start_after=start)]  # fmt: skip
        found = [(found_seq, key) for found_seq, key in keys if found_seq is not None]
        raws = self.store.get_many([key for _, key in found])
        return [(found_seq, raw or b"") for (found_seq, _), raw in zip(found, raws, strict=True)]

    def claimed_seqs(self) -> list[int]:
        """The seq of every claim present (one listing), in order."""
        return self._seqs_in(batch_folder(self.prefix))

    def newest_note_seqs(self, count: int) -> list[int]:
        """The seqs of the `count` newest notes, in order: the newest group folders only."""
        folder = checkpoint_folder(self.prefix)
        found: list[int] = []
        for group in reversed(self.store.list_folders(folder)):
            found = self._seqs_in(group, folder) + found
            if len(found) >= count:
                break
        return found[-count:]

    def _seqs_in(self, where: str, folder: str | None = None) -> list[int]:
        listed = self.store.list_keys(where)
        seqs = (parse_sequence_key(folder or where, key) for key in listed)
        return [seq for seq in seqs if seq is not None]

    def claim(self, seq: int, raw: bytes) -> bool:
        """Put a claim if its seq is free: the one serialization point of integrators."""
        return self.store.put_if_absent(batch_key(self.prefix, seq), raw)

    def publish(self, note: bytes, size: int) -> None:
        """Point `tlog/checkpoint` at `note` unless it already names a tree this large.

        The one object ever replaced (C2SP tlog-tiles clients read the newest checkpoint
        there); the write-once history stays under `tlog/checkpoints/`. Two integrators may
        race; the next integration corrects a pointer left one checkpoint behind.
        """
        key = published_checkpoint_key(self.prefix)
        current = self.store.get(key)
        if current is not None and _stated_size(current) >= size:
            return
        self.store.replace(key, note)

    def note(self, seq: int) -> bytes | None:
        """The signed checkpoint note of batch `seq`, or None before it is written."""
        return self.store.get(checkpoint_note_key(self.prefix, seq))

    def put_note(self, seq: int, note: bytes) -> bytes:
        """Write the note unless one is there; the note now stored (verified by the caller)."""
        key = checkpoint_note_key(self.prefix, seq)
        if self.store.put_if_absent(key, note):
            return note
        stored = self.store.get(key)
        if stored is None:
            raise UntrustedCheckpointError(f"{key} exists but cannot be read")
        return stored

    def read_tile(self, tile: Tile) -> bytes:
        """A tile's bytes; a missing tile the tree needs is damage."""
        raw = self.store.get(tile_key(self.prefix, tile))
        if raw is None:
            raise UntrustedCheckpointError(f"tree_mismatch: tile {tile.path()} is missing")
        return raw

    def put_exact(self, key: str, body: bytes) -> None:
        """Write once; an existing object must hold these very bytes (else it was planted)."""
        if self.store.put_if_absent(key, body):
            return
        if self.store.get(key) != body:
            raise UnsignedTileError(
                f"tree_mismatch: {key} holds other bytes than the log computes, and no signed"
                " note covers it (planted); remove it to let the tree grow"
            )

    def put_exact_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """`put_exact` for each item, concurrently (a batch's tiles)."""
        threads = min(self.store.max_workers, len(items))
        if threads <= 1:
            for key, body in items:
                self.put_exact(key, body)
            return
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(lambda item: self.put_exact(*item), items))


def _stated_size(note: bytes) -> int:
    """The size a published note states (unverified; -1 if none): whether to move the pointer."""
    lines = note.split(b"\n", 2)
    if parse_checkpoint_text_origin(note) is None or len(lines) < 3 or not lines[1].isdigit():  # noqa: PLR2004 - origin, size, rest
        return -1
    return int(lines[1])


def read_tlog(store: ObjectStore, prefix: str) -> TlogObjects:
    """Everything an auditor checks under `{prefix}tlog/` (index entries of older logs too)."""
    objects: dict[str, bytes] = {}
    for folder in ("batches/", "checkpoints/", "tile/", "index/"):
        objects.update(read_all(store, f"{prefix}tlog/{folder}"))
    return TlogObjects.gather(prefix, objects)
