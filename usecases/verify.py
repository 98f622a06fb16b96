"""Gather a log's objects from any store and hand them to the pure verifier."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.eventlog.directory_store import DirectoryObjectStore
from infra.eventlog.documents import DocumentStore
from infra.eventlog.listing import read_all
from infra.eventlog.tlog_store import read_tlog
from infra.identity.keys import load_keyring
from infra.platform import progress
from infra.platform.clock import utc_now
from infra.runtime import Runtime
from schemas.audit.verify import Freshness, VerifyReport, verify_log
from schemas.base.errors import InputError
from schemas.base.ids import check_slug
from schemas.log.commit import MAX_COMMIT_BYTES
from schemas.log.cumulative_checkpoint import MAX_CHECKPOINT_BYTES
from schemas.log.streams import REGISTRY
from usecases.audit_scope import missing_from_log

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import timedelta
    from pathlib import Path

    from infra.eventlog.store import ObjectStore
    from schemas.log.cumulative_checkpoint import Keyring

__all__ = ["source_prefix", "verify_runtime_log", "verify_store"]

_BATCH = 1000
"""Commits fetched (concurrently) between two progress reports."""


def verify_store(
    store: ObjectStore,
    prefix: str,
    keyring: Keyring,
    *,
    program: str | None = None,
    programs: Sequence[str] = (),
    expected: tuple[int, str] | None = None,
    refuse_unknown: bool = False,
    max_age: timedelta | None = None,
) -> VerifyReport:
    """Verify the log under `prefix` (all of it, or some programs') against `keyring`.

    `program` (one) and `programs` (several, as `audit verify -p A -p B`) add up; none
    means every stream. `expected`: a checkpoint (seq, signature) kept from an earlier
    audit that must still hold. `refuse_unknown` (what an auditor typed): a program not
    in the log is `InputError` (exit 2) when the log is otherwise intact. `max_age`: how old
    the newest checkpoint may be, now.
    """
    wanted = tuple(dict.fromkeys([*([program] if program is not None else []), *programs]))
    for one in wanted:
        if one != REGISTRY:
            check_slug(one, "program id")
    unknown = missing_from_log(store, prefix, wanted) if refuse_unknown else None
    # The registry is always read: its adoptions say which people file was in force.
    chosen = dict.fromkeys([*wanted, REGISTRY]) if wanted else {}
    folders = [f"{prefix}streams/{one}/" for one in chosen] or [f"{prefix}streams/"]
    keys = [key for folder in folders for key in store.list_keys(folder)]
    progress.expect(len(keys), "reading commits")
    commits: dict[str, bytes] = {}
    for start in range(0, len(keys), _BATCH):
        batch = keys[start : start + _BATCH]
        commits.update(
            (key, body)
            for key, body in zip(batch, store.get_many(batch, limit=MAX_COMMIT_BYTES), strict=True)
            if body is not None
        )
        progress.advance(len(batch))
    checkpoints = read_all(store, f"{prefix}checkpoints/", limit=MAX_CHECKPOINT_BYTES)
    documents = DocumentStore(store, prefix)
    report = verify_log(
        prefix,
        commits,
        checkpoints,
        keyring,
        programs=wanted,
        expected=expected,
        documents=documents.get,
        tlog=read_tlog(store, prefix),
        freshness=None if max_age is None else Freshness(utc_now(), max_age),
    )
    if unknown is not None and report.ok:  # a deleted program's signed heads: findings instead
        raise InputError(unknown)
    return report


def source_prefix(root: Path, configured: str) -> str:
    """The log's prefix inside a downloaded copy at `root`.

    '' for a copy of the log's folder (`aws s3 sync s3://BUCKET/PREFIX DIR`); `configured`
    for a copy of the whole bucket (`aws s3 sync s3://BUCKET DIR`).
    """
    folders = DirectoryObjectStore(root).list_folders("")
    return "" if {"streams/", "checkpoints/", "tlog/"} & set(folders) else configured


def verify_runtime_log(runtime: Runtime, program: str | None = None) -> list[str]:
    """Findings (empty when intact) for the configured log, as one line each."""
    key_file = runtime.settings.verify_key_file
    if key_file is None:
        raise InputError("set GRANTREVIEW_VERIFY_KEY_FILE to the public key(s) to verify with")
    report = verify_store(
        runtime.store, runtime.settings.s3_prefix, load_keyring(key_file), program=program
    )
    return [str(finding) for finding in report.findings]
