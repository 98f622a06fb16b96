"""The object-store port every backend implements: write once, read, list."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

__all__ = ["MAX_OBJECT_BYTES", "ObjectStore", "ReadOnlyStoreError"]

MAX_OBJECT_BYTES = 64 * 1024 * 1024
"""The most any store reads of one object (64 MiB; docs/reliability.md, "Size caps").

No object the log writes comes near it. A store returns at most this + 1 bytes, so an
oversized object (a 3 GB file planted in a copy or the bucket) reaches the parsers cut
short and is refused there as too large or malformed (a finding), never read whole.
Readers of commits and checkpoints pass their own, smaller cap as `limit`
(`MAX_COMMIT_BYTES`, `MAX_CHECKPOINT_BYTES`): the store stops reading at `limit` + 1 bytes
(a ranged GET on S3), one byte more than the parser accepts, so it reports `bad_format`.
"""


class ReadOnlyStoreError(RuntimeError):
    """A write to a store opened for reading only (a downloaded copy)."""


class ObjectStore(ABC):
    """Keys are full keys (prefix included); values are bytes; nothing is ever overwritten."""

    max_workers: int = 1
    ranged_listing: bool = False
    """Whether listing key ranges concurrently pays (each page a round trip, as on S3)."""

    @abstractmethod
    def put_if_absent(self, key: str, body: bytes) -> bool:
        """Write `body` at `key` unless the key exists: True if written, False if it existed."""

    def replace(self, key: str, body: bytes) -> None:  # noqa: ARG002 - backends that write use it
        """Write `body` at `key` whether or not it exists: only for `tlog/checkpoint`.

        The one pointer C2SP tlog-tiles clients expect to change; everything else is
        write-once. A read-only store refuses it.
        """
        raise ReadOnlyStoreError(f"cannot replace {key}: this store is read-only")

    @abstractmethod
    def get(self, key: str, *, limit: int = MAX_OBJECT_BYTES) -> bytes | None:
        """The object's bytes (at most `limit` + 1 of them, never more read), or None if absent."""

    @abstractmethod
    def list_keys(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        """Every key under `prefix`, in lexicographic order, after `start_after` if given."""

    def list_range(
        self, prefix: str, start_after: str | None = None, stop_after: str | None = None
    ) -> Iterator[str]:
        """Keys under `prefix` in (start_after, stop_after], in order; a bound of None is open.

        Consecutive ranges sharing a bound partition a listing exactly (no key twice, none
        lost). This default stops reading `list_keys` at the bound; S3 stops paging there.
        """
        for key in self.list_keys(prefix, start_after):
            if stop_after is not None and key > stop_after:
                return
            yield key

    @abstractmethod
    def list_folders(self, prefix: str) -> list[str]:
        """The immediate sub-folders of `prefix` (each ending in '/'), sorted."""

    def get_many(
        self, keys: Sequence[str], *, workers: int | None = None, limit: int = MAX_OBJECT_BYTES
    ) -> list[bytes | None]:
        """Fetch many objects (each at most `limit` + 1 bytes), concurrently; order kept.

        `workers` caps the threads below `max_workers` when the caller runs beside others
        sharing one connection pool.
        """
        threads = min(self.max_workers, workers or self.max_workers, len(keys))
        if threads <= 1:
            return [self.get(key, limit=limit) for key in keys]
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(lambda key: self.get(key, limit=limit), keys))
