"""A read-only store over a downloaded copy (the layout `aws s3 sync` writes): offline audits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from infra.eventlog.store import ObjectStore, ReadOnlyStoreError

__all__ = ["DirectoryObjectStore"]


class DirectoryObjectStore(ObjectStore):
    """Keys map to files under `root`; writing is refused."""

    max_workers = 8

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"key {key!r} escapes the copy")
        return path

    def put_if_absent(self, key: str, body: bytes) -> bool:  # noqa: ARG002 - the port's signature
        raise ReadOnlyStoreError(f"{self.root} is a read-only copy; cannot write {key}")

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def list_keys(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        base = self._path(prefix.rsplit("/", 1)[0]) if "/" in prefix else self.root
        if not base.is_dir():
            return
        keys = sorted(
            path.relative_to(self.root).as_posix() for path in base.rglob("*") if path.is_file()
        )
        for key in keys:
            if key.startswith(prefix) and (start_after is None or key > start_after):
                yield key

    def list_folders(self, prefix: str) -> list[str]:
        base = self._path(prefix) if prefix else self.root
        if not base.is_dir():
            return []
        return sorted(f"{prefix}{child.name}/" for child in base.iterdir() if child.is_dir())
