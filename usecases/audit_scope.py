"""What an auditor names must be in the log: a typo is refused (exit 2), never a clean result.

Operators' commands refuse a jurisdiction that was never imported; auditors read a log (S3
or a downloaded copy) that may hold no registry they trust, so the log's own stream folders
are the list of what exists. One listing per program named, nothing read or written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemas.base.errors import InputError
from schemas.base.ids import check_slug
from schemas.log.streams import REGISTRY

if TYPE_CHECKING:
    from collections.abc import Sequence

    from infra.eventlog.store import ObjectStore

__all__ = ["missing_from_log", "require_in_log"]


def _names(store: ObjectStore, folder: str) -> set[str]:
    """The sub-folder names under `folder` (without the folder or the trailing '/')."""
    return {name.removeprefix(folder).rstrip("/") for name in store.list_folders(folder)}


def require_in_log(
    store: ObjectStore,
    prefix: str,
    programs: Sequence[str] = (),
    jurisdictions: Sequence[str] = (),
) -> None:
    """Refuse (`InputError`, exit 2) what `missing_from_log` names, before any other work."""
    problem = missing_from_log(store, prefix, programs, jurisdictions)
    if problem is not None:
        raise InputError(problem)


def missing_from_log(
    store: ObjectStore,
    prefix: str,
    programs: Sequence[str] = (),
    jurisdictions: Sequence[str] = (),
) -> str | None:
    """One line naming every program with no stream in the log, or jurisdiction none has.

    A bad slug is refused at once. Callers that audit keep the line until the audit is
    done: a stream deleted from a signed log is a finding (exit 1), not a typo.
    """
    for program in programs:
        if program != REGISTRY:
            check_slug(program, "program id")
    for slug in jurisdictions:
        check_slug(slug, "jurisdiction slug")
    streams = f"{prefix}streams/"
    listed = _names(store, streams)
    unknown = [program for program in dict.fromkeys(programs) if program not in listed]
    if unknown:
        return f"program(s) not in this log: {', '.join(unknown)}"
    if not jurisdictions:
        return None
    chosen = list(programs) or sorted(listed - {REGISTRY})
    seen: set[str] = set().union(*(_names(store, f"{streams}{program}/") for program in chosen))
    missing = [slug for slug in dict.fromkeys(jurisdictions) if slug not in seen]
    if not missing:
        return None
    where = f" for {', '.join(chosen)}" if programs else ""
    return f"jurisdiction(s) not in this log{where}: {', '.join(missing)}"
