"""An in-memory object store: for unit tests of the layers above, held to the same contract."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator

from infra.eventlog.store import MAX_OBJECT_BYTES, ObjectStore

__all__ = ["MemoryObjectStore"]


class MemoryObjectStore(ObjectStore):
    """A dict of bytes behind a lock, with put-if-absent semantics."""

    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}
        self._keys: list[str] = []
        self._lock = threading.Lock()

    def put_if_absent(self, key: str, body: bytes) -> bool:
        with self._lock:
            if key in self._objects:
                return False
            self._objects[key] = bytes(body)
            bisect.insort(self._keys, key)
            return True

    def replace(self, key: str, body: bytes) -> None:
        with self._lock:
            if key not in self._objects:
                bisect.insort(self._keys, key)
            self._objects[key] = bytes(body)

    def get(self, key: str, *, limit: int = MAX_OBJECT_BYTES) -> bytes | None:
        body = self._objects.get(key)
        return body if body is None or len(body) <= limit else body[: limit + 1]

    def list_keys(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        with self._lock:  # copy only the prefix's slice: listing costs O(log n + k)
            low = max(prefix, start_after or "")
            begin = (
                bisect.bisect_right(self._keys, low)
                if start_after and start_after >= prefix
                else bisect.bisect_left(self._keys, low)
            )
            end = (
                bisect.bisect_left(self._keys, _after_prefix(prefix)) if prefix else len(self._keys)
            )
            keys = self._keys[begin:end]
        for key in keys:
            if key.startswith(prefix):
                yield key

    def list_folders(self, prefix: str) -> list[str]:
        folders = {
            prefix + key[len(prefix) :].split("/", 1)[0] + "/"
            for key in self.list_keys(prefix)
            if "/" in key[len(prefix) :]
        }
        return sorted(folders)


def _after_prefix(prefix: str) -> str:
    """The least string greater than every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
