"""What replay reads besides the stream: the two moments, the registry's history, programs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from schemas.base.canonical import sha256_hex
from schemas.base.findings import ReplayKind, ReplayProblem
from schemas.events.catalog import (
    DecisionIssued,
    DecisionRevised,
    DomainEvent,
    JurisdictionsRegistered,
    LetterSent,
    ReevaluationCompleted,
    ResponseReceived,
    RulesEvaluated,
)
from schemas.log.state import decoded_events
from schemas.program.definition import ProgramBundle, ProgramError
from schemas.rules.waivers import start_of

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from schemas.log.commit import Commit
    from schemas.program.jurisdiction import Jurisdiction

__all__ = ["Moments", "ProgramCatalog", "RegistryHistory", "valid_time"]


@dataclass(frozen=True, slots=True)
class Moments:
    """The two time axes: valid time (`as_of`) and recording time (`known_at`); None = now."""

    as_of: datetime | None = None
    known_at: datetime | None = None

    def admits(self, valid: datetime, recorded: datetime) -> bool:
        """Whether an event valid at `valid` and recorded at `recorded` counts."""
        return (self.as_of is None or valid <= self.as_of) and (
            self.known_at is None or recorded <= self.known_at
        )


def valid_time(event: DomainEvent, recorded: datetime) -> datetime:
    """When an event took effect (its valid time), else its recording time.

    The letter's date, the response's receipt, the as_of of an evaluation or decision;
    an override, a reminder or a registration carries none, so it counts from when recorded.
    """
    if isinstance(event, LetterSent):
        return start_of(event.letter_date)
    if isinstance(event, ResponseReceived):
        return event.received_at
    if isinstance(event, RulesEvaluated | DecisionRevised):
        return event.evaluation.as_of
    if isinstance(event, DecisionIssued | ReevaluationCompleted):
        return event.as_of
    return recorded


class RegistryHistory:
    """Every registry row with the time it was recorded: a jurisdiction as known at a moment."""

    def __init__(self, commits: Iterable[Commit] = ()) -> None:
        self._rows: dict[str, list[tuple[datetime, Jurisdiction]]] = {}
        for commit in commits:
            for time, event in decoded_events(commit):
                if isinstance(event, JurisdictionsRegistered):
                    for row in event.rows:
                        self._rows.setdefault(row.slug, []).append((time, row))

    def at(self, slug: str, moment: datetime) -> Jurisdiction | None:
        """The row for `slug` recorded last at or before `moment` (None if none was)."""
        found = None
        for time, row in self._rows.get(slug, ()):
            if time <= moment:
                found = row
        return found


class ProgramCatalog:
    """Program bundles rebuilt from stored documents by hash, each parsed once per replay.

    One catalog serves every stream of a replay (a program is tens of kilobytes to hash and
    validate, and thousands of streams cite it). A hash not among the documents yet is not
    remembered: a reader that fetches documents as streams arrive may hold it later.
    """

    def __init__(self, documents: Mapping[str, bytes | None]) -> None:
        self._documents = documents
        self._parsed: dict[str, ProgramBundle | ReplayProblem] = {}

    def bundle(self, sha256: str) -> ProgramBundle | ReplayProblem:
        """The bundle stored under `sha256`, or why it cannot be used (kind, detail)."""
        if sha256 in self._parsed:
            return self._parsed[sha256]
        loaded = self._load(sha256)
        if self._documents.get(sha256) is not None:
            self._parsed[sha256] = loaded
        return loaded

    def _load(self, sha256: str) -> ProgramBundle | ReplayProblem:
        raw = self._documents.get(sha256)
        short = f"program document {sha256[:16]}..."
        if raw is None:
            return ReplayProblem(ReplayKind.MISSING_DOCUMENT, f"{short} is not stored")
        if sha256_hex(raw) != sha256:
            return ReplayProblem(
                ReplayKind.TAMPERED_DOCUMENT, f"stored {short} no longer matches its hash"
            )
        try:
            bundle = ProgramBundle.from_document(raw, source=short)
        except ProgramError as error:
            return ReplayProblem(ReplayKind.UNDERIVABLE, str(error))
        if bundle.sha256 != sha256:
            return ReplayProblem(ReplayKind.UNDERIVABLE, f"{short} is not in canonical form")
        return bundle
