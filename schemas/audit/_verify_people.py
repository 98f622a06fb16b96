"""The people file in force, checked once the whole log is seen (part of the audit pass).

Adoptions (`grantreview.people.adopted`) say which people file was in force when. Each
must be an administrator's `people` act under the file in force before (the first one:
under the adopted file itself); every other act must name the file in force at its time;
and an effect recorded without an act while a file was in force is `unsigned_act`. The
order streams are audited in does not matter: everything is judged at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schemas.base.findings import Finding, FindingKind, stream_finding
from schemas.people.acts import format_time
from schemas.planning.adoptions import Adoption, PeopleHistory, adoption_problem

if TYPE_CHECKING:
    from datetime import datetime

    from schemas.log.streams import StreamId
    from schemas.people.acts import Act, SignedAct
    from schemas.people.people_file import PeopleFile

__all__ = ["InForceCheck", "Where"]

Where = tuple["StreamId", int, str]
"""Where an act was found: its stream, its commit's seq and key."""


@dataclass
class InForceCheck:
    """Adoptions, acts and unsigned effects gathered during the pass; findings at the end."""

    people: Callable[[str], PeopleFile | None]
    _adoptions: list[tuple[Adoption, Where]] = field(default_factory=list)
    _named: list[tuple[Act, Where]] = field(default_factory=list)
    _unsigned: list[tuple[datetime, Finding]] = field(default_factory=list)

    def adoption(self, time: datetime, signed: SignedAct, where: Where) -> None:
        """An adoption recorded at `time` (its commit's time)."""
        self._adoptions.append((Adoption(time, signed), where))

    def named(self, act: Act, where: Where) -> None:
        """A person's act: it must name the file in force at its time."""
        self._named.append((act, where))

    def unsigned(self, time: datetime, finding: Finding) -> None:
        """An effect recorded at `time` without its person's act."""
        self._unsigned.append((time, finding))

    @property
    def history(self) -> PeopleHistory:
        """Every adoption seen, in the order recorded."""
        return PeopleHistory(adoption for adoption, _ in self._adoptions)

    def findings(self) -> list[Finding]:
        """Bad adoptions, acts under a file not in force, unsigned effects while one was."""
        history = self.history
        found = self._bad_adoptions()
        for act, (stream, seq, key) in self._named:
            in_force = history.in_force(act.time)
            if in_force is not None and in_force != act.people_sha256:
                detail = (
                    f"the act names people file {act.people_sha256[:16]}..., not the one in"
                    f" force at {format_time(act.time)} ({in_force[:16]}...)"
                )
                kind = FindingKind.ACTOR_NOT_AUTHORIZED
                found.append(stream_finding(stream, seq, kind, detail, key))
        started = history.started
        if started is not None:
            found += [finding for when, finding in self._unsigned if when >= started]
        return found

    def _bad_adoptions(self) -> list[Finding]:
        found: list[Finding] = []
        ordered = sorted(self._adoptions, key=lambda pair: pair[0].time)
        previous: str | None = None
        for adoption, (stream, seq, key) in ordered:
            authority_sha = previous or adoption.adopted
            previous = adoption.adopted
            authority, adopted = self.people(authority_sha), self.people(adoption.adopted)
            if authority is None or adopted is None:
                missing = authority_sha if authority is None else adoption.adopted
                detail = f"people file {missing[:16]}... is missing or changed since"
                kind = FindingKind.PEOPLE_FILE_CHANGED
                found.append(stream_finding(stream, seq, kind, detail, key))
                continue
            problem = adoption_problem(authority, adopted, adoption.signed, adoption.time)
            if problem is not None:
                kind = FindingKind(problem.kind)
                found.append(stream_finding(stream, seq, kind, f"adoption: {problem.detail}", key))
        return found
