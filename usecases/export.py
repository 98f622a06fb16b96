"""Download a verifiable copy of the log: every object under the prefix into DIR/<key>.

The layout is the one `aws s3 sync s3://BUCKET/PREFIX DIR` writes, so `audit verify` and
`audit replay` read it offline with `--source DIR` (no S3 credentials needed).

A copy must be the log as it is now: a file kept from an earlier export whose object has
since gone (deleted, or hidden behind a delete marker) would make a stale copy verify.
So a folder that already holds files is refused unless `update=True`, and then every file
that is not in the listing (symbolic links included, never followed) is removed and named.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from infra.platform import progress
from schemas.base.errors import InputError

if TYPE_CHECKING:
    from infra.eventlog.store import ObjectStore

__all__ = ["ExportResult", "export_store"]


@dataclass(frozen=True)
class ExportResult:
    """What the copy holds, how much this run wrote, and what it removed (relative paths)."""

    objects: int
    bytes: int
    written: int
    removed: tuple[str, ...] = field(default=())


def _target(root: Path, relative: str) -> Path:
    parts = [part for part in relative.split("/") if part]
    if not parts or any(part in {".", ".."} for part in parts):
        raise InputError(f"object key {relative!r} would leave the export folder")
    path = root.joinpath(*parts)
    for parent in (path, *path.parents):
        if parent == root:
            break
        if parent.is_symlink():
            parent.unlink(missing_ok=True)  # never write through a link (it is not the log)
    return path


def _copy(store: ObjectStore, root: Path, prefix: str, key: str) -> tuple[int | None, bool]:
    body = store.get(key)
    if body is None:
        return None, False  # deleted between listing and reading: not part of the copy
    path = _target(root, key[len(prefix) :])
    if path.is_file() and not path.is_symlink() and path.read_bytes() == body:
        return len(body), False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    partial.write_bytes(body)
    partial.replace(path)  # a reader never sees half a file
    return len(body), True


def _existing(root: Path) -> list[str]:
    """Every file and link under `root` (relative, '/'-separated); links are not followed."""
    found: list[str] = []
    for directory, folders, files in os.walk(root, followlinks=False):
        here = Path(directory)
        found.extend((here / name).relative_to(root).as_posix() for name in files)
        found.extend(
            (here / name).relative_to(root).as_posix()
            for name in folders
            if (here / name).is_symlink()
        )
    return sorted(found)


def _remove_stale(root: Path, keep: set[str]) -> tuple[str, ...]:
    """Remove every file or link not in `keep`, then the folders left empty; name what went."""
    removed = tuple(relative for relative in _existing(root) if relative not in keep)
    for relative in removed:
        (root / relative).unlink()
    for directory, _, _ in sorted(os.walk(root), key=lambda item: -len(item[0])):
        if Path(directory) != root and not any(Path(directory).iterdir()):
            Path(directory).rmdir()
    return removed


def export_store(
    store: ObjectStore, prefix: str, target: Path, *, workers: int = 32, update: bool = False
) -> ExportResult:
    """Copy every object under `prefix` to `target` (keys relative to the prefix).

    A `target` that already holds files is refused (InputError) unless `update`; with it,
    the copy is made to match the log exactly: files not in the listing are removed.
    """
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InputError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not update:
        raise InputError(
            f"{target} already holds files; pass --update to make it match the log "
            "(files no longer in the log are removed), or export into an empty folder"
        )
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    keys = list(store.list_keys(prefix))
    progress.expect(len(keys), "exporting objects")

    def copy(key: str) -> tuple[int | None, bool]:
        done = _copy(store, root, prefix, key)
        progress.advance()
        return done

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        copied = list(pool.map(copy, keys))
    present = {
        key[len(prefix) :] for key, (size, _) in zip(keys, copied, strict=True) if size is not None
    }
    return ExportResult(
        objects=sum(1 for size, _ in copied if size is not None),
        bytes=sum(size or 0 for size, _ in copied),
        written=sum(1 for _, written in copied if written),
        removed=_remove_stale(root, present),
    )
