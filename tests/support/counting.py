"""A memory store that counts its requests as S3 would bill them and records what it listed.

Tests assert on what a read listed (a fast path must not list a program's commit keys);
benchmarks print the request counts beside the time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Final

from infra.eventlog.memory_store import MemoryObjectStore
from infra.eventlog.store import MAX_OBJECT_BYTES

__all__ = ["CountingStore"]

PAGE: Final = 1000
"""Keys per LIST request on S3 (ListObjectsV2's page)."""


class CountingStore(MemoryObjectStore):
    """The memory store, counting PUT, GET and LIST requests and the prefixes listed."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: Counter[str] = Counter()
        self.listed: list[str] = []

    def reset(self) -> None:
        """Forget the counts and the prefixes listed so far."""
        self.requests.clear()
        self.listed.clear()

    def put_if_absent(self, key: str, body: bytes) -> bool:
        """Count a PUT."""
        self.requests["PUT"] += 1
        return super().put_if_absent(key, body)

    def get(self, key: str, *, limit: int = MAX_OBJECT_BYTES) -> bytes | None:
        """Count a GET."""
        self.requests["GET"] += 1
        return super().get(key, limit=limit)

    def list_keys(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        """Count one LIST now and one more per further page of keys the caller reads."""
        self.listed.append(prefix)
        self.requests["LIST"] += 1
        return self._paged(super().list_keys(prefix, start_after))

    def _paged(self, keys: Iterator[str]) -> Iterator[str]:
        for count, key in enumerate(keys, start=1):
            if count > PAGE and count % PAGE == 1:
                self.requests["LIST"] += 1
            yield key

    def list_folders(self, prefix: str) -> list[str]:
        """Count one LIST per page of folders (a delimited listing, not a listing of keys)."""
        folders = sorted(
            {
                prefix + key[len(prefix) :].split("/", 1)[0] + "/"
                for key in super().list_keys(prefix)
                if "/" in key[len(prefix) :]
            }
        )
        self.listed.append(prefix)
        self.requests["LIST"] += max(1, -(-len(folders) // PAGE))
        return folders
