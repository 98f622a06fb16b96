"""A read-only store over a downloaded copy (the layout `aws s3 sync` writes): offline audits.

A copy holds plain files and folders only. A symbolic link is never followed: whoever
handed over the copy could point one anywhere on the auditor's machine, or at another
copy that verifies. Each link met is skipped with one warning line (`copy_link_skipped`),
so what it stood for is reported as missing. No file is read past the caller's `limit` + 1
bytes (`MAX_OBJECT_BYTES` + 1 at most).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from infra.eventlog.store import MAX_OBJECT_BYTES, ObjectStore, ReadOnlyStoreError
from infra.platform.logging import get_logger

__all__ = ["DirectoryObjectStore"]

_log = get_logger(__name__)


class DirectoryObjectStore(ObjectStore):
    """Keys map to plain files under `root`; links are skipped; writing is refused."""

    max_workers = 8

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.skipped: set[str] = set()
        """Keys (relative paths) of the symbolic links met and skipped so far."""

    def _skip(self, relative: str) -> None:
        if relative not in self.skipped:
            self.skipped.add(relative)
            _log.warning("copy_link_skipped", path=relative, copy=str(self.root))

    def _path(self, key: str) -> Path | None:
        """The file or folder for `key`, or None when the way there passes a symbolic link."""
        parts = [part for part in key.split("/") if part]
        if any(part in {".", ".."} for part in parts):
            raise ValueError(f"key {key!r} escapes the copy")
        path = self.root
        for index, part in enumerate(parts):
            path /= part
            if path.is_symlink():
                self._skip("/".join(parts[: index + 1]))
                return None
        return path

    def put_if_absent(self, key: str, body: bytes) -> bool:  # noqa: ARG002 - the port's signature
        raise ReadOnlyStoreError(f"{self.root} is a read-only copy; cannot write {key}")

    def get(self, key: str, *, limit: int = MAX_OBJECT_BYTES) -> bytes | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            if error.errno != errno.ELOOP:
                raise
            self._skip(key)  # became a link after the check above
            return None
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                return None
            return handle.read(min(limit, MAX_OBJECT_BYTES) + 1)

    def list_keys(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        base = self._path(folder)
        if base is None or not base.is_dir():
            return
        keys: list[str] = []
        for directory, folders, files in os.walk(base, followlinks=False):
            here = Path(directory)
            for name in [*folders, *files]:
                path = here / name
                if path.is_symlink():
                    self._skip(path.relative_to(self.root).as_posix())
                elif name in files and path.is_file():
                    keys.append(path.relative_to(self.root).as_posix())
        for key in sorted(keys):
            if key.startswith(prefix) and (start_after is None or key > start_after):
                yield key

    def list_folders(self, prefix: str) -> list[str]:
        base = self._path(prefix)
        if base is None or not base.is_dir():
            return []
        folders: list[str] = []
        for child in sorted(base.iterdir()):
            if child.is_symlink():
                self._skip(child.relative_to(self.root).as_posix())
            elif child.is_dir():
                folders.append(f"{prefix}{child.name}/")
        return folders
