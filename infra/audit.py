"""Gather a log's objects from any store and hand them to the pure verifier."""

from __future__ import annotations

from pathlib import Path

from infra.eventlog.directory import DirectoryObjectStore
from infra.eventlog.store import ObjectStore
from schemas.checkpoint import Keyring
from schemas.ids import check_slug
from schemas.streams import REGISTRY
from schemas.verify import VerifyReport, verify_log

__all__ = ["source_prefix", "verify_store"]


def _read_all(store: ObjectStore, prefix: str) -> dict[str, bytes]:
    """Every object under `prefix` (listed, then fetched concurrently); vanished keys skipped."""
    keys = list(store.list_keys(prefix))
    bodies = store.get_many(keys)
    return {key: body for key, body in zip(keys, bodies, strict=True) if body is not None}


def verify_store(
    store: ObjectStore, prefix: str, keyring: Keyring, *, program: str | None = None
) -> VerifyReport:
    """Verify the log under `prefix` (all of it, or one program's streams) against `keyring`."""
    if program is not None and program != REGISTRY:
        check_slug(program, "program id")
    folder = f"{prefix}streams/" if program is None else f"{prefix}streams/{program}/"
    commits = _read_all(store, folder)
    checkpoints = _read_all(store, f"{prefix}checkpoints/")
    return verify_log(prefix, commits, checkpoints, keyring, program=program)


def source_prefix(root: Path, configured: str) -> str:
    """The prefix inside a downloaded copy: '' for `aws s3 sync s3://B/PREFIX DIR`, else `configured`.

    A copy of the whole bucket (`aws s3 sync s3://B DIR`) keeps the configured prefix.
    """
    folders = DirectoryObjectStore(root).list_folders("")
    return "" if {"streams/", "checkpoints/"} & set(folders) else configured
