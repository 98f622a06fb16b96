"""The people file in force for a writer: the last one adopted in the log (issue #15).

Once an administrator has adopted a people file (`grantreview people adopt`), every act is
signed and checked under it; `GRANTREVIEW_PEOPLE_FILE`, when set, must be that same file
(the host's copy is refused when it differs: adopt it first). Before any adoption the
configured file is used as before, and the log does not say it was in force.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from infra.errors import DependencyUnavailableError
from schemas.base.errors import InputError
from schemas.log.streams import StreamId
from schemas.people.acts import ActRefusedError
from schemas.people.people_file import PeopleError, PeopleFile, parse_people_document
from schemas.planning.adoptions import Adoption, PeopleHistory

if TYPE_CHECKING:
    from infra.runtime import Runtime

__all__ = [
    "InForce",
    "adopted_file",
    "people_file_named",
    "people_history",
    "people_in_force",
    "stored_people",
]

_SHA256: Final = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class InForce:
    """The people file acts are signed under now, and its adoption (None before any)."""

    people: PeopleFile
    adoption: Adoption | None


def people_history(runtime: Runtime) -> PeopleHistory:
    """Every adoption the registry stream records."""
    return PeopleHistory.from_commits(runtime.log.read_stream(StreamId.registry()))


def stored_people(runtime: Runtime, sha256: str) -> PeopleFile | None:
    """The stored people document `sha256`, or None when missing, changed or no such file."""
    raw = runtime.documents.get(sha256)
    if raw is None:
        return None
    try:
        return parse_people_document(raw)
    except PeopleError:
        return None


def adopted_file(runtime: Runtime, sha256: str) -> PeopleFile:
    """The adopted people document `sha256`; missing or changed is a dependency failure."""
    found = stored_people(runtime, sha256)
    if found is None:
        raise DependencyUnavailableError(
            f"the people file in force ({sha256[:16]}...) is missing or changed in storage"
        )
    return found


def people_in_force(runtime: Runtime) -> InForce | None:
    """The file acts are signed under: the adopted one, else the configured one, else None."""
    current = people_history(runtime).current
    configured = runtime.people
    if current is None:
        return None if configured is None else InForce(configured, None)
    if configured is not None and configured.sha256 != current.adopted:
        raise ActRefusedError(
            "refused: GRANTREVIEW_PEOPLE_FILE is not the people file in force"
            f" ({current.adopted[:16]}...): an administrator adopts it first"
            " (grantreview people adopt FILE)"
        )
    return InForce(adopted_file(runtime, current.adopted), current)


def people_file_named(runtime: Runtime, sha256: str | None) -> PeopleFile:
    """The stored people file `sha256` (an act names it), or the one in force when None."""
    if sha256 is not None:
        if _SHA256.fullmatch(sha256) is None:
            raise InputError("--people-sha256 is 64 lowercase hex characters")
        named = stored_people(runtime, sha256)
        if named is None:
            raise InputError(f"no stored people file {sha256[:16]}... (absent, or changed)")
        return named
    found = people_in_force(runtime)
    if found is None:
        raise InputError("no people file is in force: name one, or set GRANTREVIEW_PEOPLE_FILE")
    return found.people
