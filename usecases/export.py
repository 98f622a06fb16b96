"""Download a verifiable copy of the log: every object under the prefix into DIR/<key>.

The layout is the one `aws s3 sync s3://BUCKET/PREFIX DIR` writes, so `audit verify` and
`audit replay` read it offline with `--source DIR` (no S3 credentials needed).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schemas.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

    from infra.eventlog.store import ObjectStore

__all__ = ["ExportResult", "export_store"]


@dataclass(frozen=True)
class ExportResult:
    """What the copy holds, and how much of it this run wrote (an unchanged file is kept)."""

    objects: int
    bytes: int
    written: int


def _target(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or path == root:
        raise InputError(f"object key {relative!r} would leave the export folder")
    return path


def _copy(store: ObjectStore, root: Path, prefix: str, key: str) -> tuple[int | None, bool]:
    body = store.get(key)
    if body is None:
        return None, False  # deleted between listing and reading: not part of the copy
    path = _target(root, key[len(prefix) :])
    if path.is_file() and path.read_bytes() == body:
        return len(body), False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(body)
    partial.replace(path)  # a reader never sees half a file
    return len(body), True


def export_store(
    store: ObjectStore, prefix: str, target: Path, *, workers: int = 32
) -> ExportResult:
    """Copy every object under `prefix` to `target` (keys relative to the prefix)."""
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} exists and is not a folder")
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    keys = list(store.list_keys(prefix))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        copied = list(pool.map(lambda key: _copy(store, root, prefix, key), keys))
    return ExportResult(
        objects=sum(1 for size, _ in copied if size is not None),
        bytes=sum(size or 0 for size, _ in copied),
        written=sum(1 for _, written in copied if written),
    )
