"""Listing helpers over the object-store port: key ranges, the newest key, a whole folder.

Replay, the state-index catch-up, checkpoint writers and the index pointers all list
through these two, so each listing rule (how a folder is split, how "newest" is found)
is written once.
"""

from __future__ import annotations

import itertools
import string
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from infra.eventlog.store import ObjectStore

from infra.eventlog.store import MAX_OBJECT_BYTES

__all__ = ["PARTITIONS", "key_ranges", "list_partitioned", "newest_key", "read_all"]

PARTITIONS: Final = tuple(sorted(string.digits + string.ascii_lowercase + "_"))
"""A stream folder is a slug ([a-z0-9]...) or `_runs`: range bounds between their first
characters spread a folder's keys over about as many ranges."""

KeyRange = tuple[str, str | None, str | None]


def key_ranges(folder: str) -> list[KeyRange]:
    """(folder, start_after, stop_after) ranges that together list every key of `folder` once."""
    bounds: list[str | None] = [None, *(folder + c for c in PARTITIONS), None]
    return [(folder, start, stop) for start, stop in itertools.pairwise(bounds)]


def list_partitioned(store: ObjectStore, folders: Sequence[str], workers: int) -> list[str]:
    """Every key under `folders`, in order; in concurrent key ranges where the store gains.

    On S3 one listing is a chain of 1,000-key pages, so ranges listed side by side cut the
    wall time; a memory or folder store lists each folder in one call.
    """
    if store.ranged_listing:
        ranges = [part for folder in folders for part in key_ranges(folder)]
    else:
        ranges = [(folder, None, None) for folder in folders]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(ranges) or 1))) as pool:
        parts = pool.map(lambda r: list(store.list_range(*r)), ranges)
        return [key for part in parts for key in part]


def newest_key(
    store: ObjectStore,
    prefix: str,
    *,
    start_after: str | None = None,
    accept: Callable[[str], bool] | None = None,
) -> str | None:
    """The last key under `prefix` (after `start_after`) that `accept` takes, or None.

    Sequences are written as zero-padded keys, so the newest entry is the last one listed.
    """
    newest: str | None = None
    for key in store.list_keys(prefix, start_after=start_after):
        if accept is None or accept(key):
            newest = key
    return newest


def read_all(store: ObjectStore, prefix: str, *, limit: int = MAX_OBJECT_BYTES) -> dict[str, bytes]:
    """Every object under `prefix` (listed, then fetched concurrently); vanished keys skipped.

    Each body is at most `limit` + 1 bytes: a larger object arrives cut short.
    """
    keys = list(store.list_keys(prefix))
    bodies = store.get_many(keys, limit=limit)
    return {key: body for key, body in zip(keys, bodies, strict=True) if body is not None}
