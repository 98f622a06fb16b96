"""The replay report's data: totals, findings, jurisdictions, decisions by outcome and over time.

Pure: built stream by stream as usecases/replay.py reads the log, so memory holds summaries,
never the commits. `audit replay --json` prints `ReplayReport.as_json()`; the HTML report
(infra/files/report_html.py) renders the same data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from schemas.log.streams import ACTS, RUNS
from schemas.replay.rederive import JurisdictionReplay, Moments, ReplayFinding
from schemas.rules.evaluation import Outcome

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

__all__ = ["AuditContext", "CheckpointSeen", "ReplayAccumulator", "ReplayReport", "SeriesPoint"]

MAX_POINTS: Final = 120
"""A chart needs no more points than this per program; later points in a bucket win."""


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """How many jurisdictions of a program stood at each outcome from `time` on."""

    time: datetime
    counts: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        """One point of `decisions_over_time`."""
        return {"time": self.time.isoformat(), **self.counts}


@dataclass(frozen=True, slots=True)
class AuditContext:
    """What was audited, when and with what: the report's header (the caller gathers it)."""

    log: str
    """`s3://bucket/prefix` or the downloaded copy's folder."""
    generated_at: datetime
    version: str
    """grantreview's version that wrote the report."""
    key_fingerprints: tuple[str, ...]
    """The trusted public keys (SHA-256 fingerprints) the log was checked against."""

    def as_json(self) -> dict[str, Any]:
        """The `audited` object of `audit replay --json`."""
        return {
            "log": self.log,
            "generated_at": self.generated_at.isoformat(),
            "version": self.version,
            "key_fingerprints": list(self.key_fingerprints),
        }


@dataclass(frozen=True, slots=True)
class CheckpointSeen:
    """The newest trusted checkpoint: what an auditor keeps elsewhere (`--expect-checkpoint`)."""

    seq: int
    """The cumulative chain's seq, or the tree size of a tlog checkpoint."""
    time: datetime
    signature: str
    """Hex (cumulative), or the tlog note's signature line base64 (key ID || signature)."""
    key_fingerprint: str
    tlog: bool = False
    """A C2SP checkpoint of the transparency log (after the cut-over)."""

    @property
    def expectation(self) -> str:
        """`SEQ:SIGNATURE`, as `audit verify --expect-checkpoint` takes it."""
        return f"{self.seq}:{self.signature}"

    def as_json(self) -> dict[str, Any]:
        """The `newest_checkpoint` object of `audit replay --json`."""
        return {
            "seq": self.seq,
            "time": self.time.isoformat(),
            "signature": self.signature,
            "key_fingerprint": self.key_fingerprint,
            "tlog": self.tlog,
        }


@dataclass(frozen=True)
class ReplayReport:
    """Everything `audit replay` found: ok only when there are no findings."""

    moments: Moments
    programs: tuple[str, ...]
    selected: tuple[str, ...]
    streams: int
    commits: int
    events: int
    checkpoints: int
    findings: tuple[ReplayFinding, ...]
    jurisdictions: tuple[JurisdictionReplay, ...]
    decisions: dict[str, dict[str, int]]
    """Per program: final decisions by outcome; `pending` counts every review not yet final."""
    decisions_over_time: dict[str, tuple[SeriesPoint, ...]]
    context: AuditContext | None = None
    newest_checkpoint: CheckpointSeen | None = None
    attested_legacy_commits: int = 0
    """Unsigned `/1` commits a signed cumulative checkpoint vouches for (not findings)."""
    attesting_checkpoints: tuple[int, ...] = ()
    untrusted_signers: tuple[str, ...] = ()
    """The key ids that sealed the log when the keyring holds none of them (a wrong keyring)."""

    @property
    def ok(self) -> bool:
        """No integrity finding and no divergence."""
        return not self.findings

    def as_json(self) -> dict[str, Any]:
        """The `audit replay --json` document."""
        moments = self.moments
        return {
            "ok": self.ok,
            "as_of": None if moments.as_of is None else moments.as_of.isoformat(),
            "known_at": None if moments.known_at is None else moments.known_at.isoformat(),
            "programs": list(self.programs),
            "selected_jurisdictions": list(self.selected),
            "streams": self.streams,
            "commits": self.commits,
            "events": self.events,
            "checkpoints": self.checkpoints,
            "attested_legacy_commits": self.attested_legacy_commits,
            "attesting_checkpoints": list(self.attesting_checkpoints),
            "untrusted_signers": list(self.untrusted_signers),
            "audited": None if self.context is None else self.context.as_json(),
            "newest_checkpoint": None
            if self.newest_checkpoint is None
            else self.newest_checkpoint.as_json(),
            "findings": [finding.model_dump(mode="json") for finding in self.findings],
            "decisions": self.decisions,
            "decisions_over_time": {
                program: [point.as_json() for point in points]
                for program, points in self.decisions_over_time.items()
            },
            "jurisdictions": [jurisdiction.as_json() for jurisdiction in self.jurisdictions],
        }


def _series(changes: list[tuple[datetime, str, Outcome]]) -> tuple[SeriesPoint, ...]:
    """Cumulative counts per outcome after each change (jurisdiction, new outcome), bucketed."""
    current: dict[str, Outcome] = {}
    counts: Counter[str] = Counter()
    points: list[SeriesPoint] = []
    for time, jurisdiction, outcome in sorted(changes, key=lambda change: change[0]):
        if jurisdiction in current:
            counts[current[jurisdiction].value] -= 1
        current[jurisdiction] = outcome
        counts[outcome.value] += 1
        point = SeriesPoint(time, {o.value: counts[o.value] for o in Outcome})
        if points and points[-1].time == time:
            points[-1] = point
        else:
            points.append(point)
    if len(points) <= MAX_POINTS:
        return tuple(points)
    start, span = points[0].time, (points[-1].time - points[0].time) or None
    buckets: dict[int, SeriesPoint] = {}
    for point in points:
        index = 0 if span is None else int((point.time - start) / span * (MAX_POINTS - 1))
        buckets[index] = point
    return tuple(buckets[index] for index in sorted(buckets))


@dataclass
class ReplayAccumulator:
    """Adds up the report one stream at a time."""

    moments: Moments
    programs: tuple[str, ...] = ()
    selected: tuple[str, ...] = ()
    streams: int = 0
    commits: int = 0
    events: int = 0
    checkpoints: int = 0
    context: AuditContext | None = None
    newest_checkpoint: CheckpointSeen | None = None
    attested_legacy_commits: int = 0
    attesting_checkpoints: tuple[int, ...] = ()
    untrusted_signers: tuple[str, ...] = ()
    findings: list[ReplayFinding] = field(default_factory=list)
    jurisdictions: list[JurisdictionReplay] = field(default_factory=list)
    _changes: dict[str, list[tuple[datetime, str, Outcome]]] = field(default_factory=dict)

    def add_findings(self, findings: Iterable[ReplayFinding]) -> None:
        """Record findings (integrity or replay)."""
        self.findings.extend(findings)

    def add_stream(self, replayed: JurisdictionReplay | None, commits: int, events: int) -> None:
        """Count one stream; a review stream's jurisdiction joins the report."""
        self.streams += 1
        self.commits += commits
        self.events += events
        if replayed is None or replayed.jurisdiction in {RUNS, ACTS}:
            return
        self.jurisdictions.append(replayed)
        changes = self._changes.setdefault(replayed.program, [])
        last: datetime | None = None
        shown: Outcome | None = None
        for entry in replayed.timeline:
            if not entry.admitted or entry.decision is None:
                continue
            now = entry.decision if entry.final else Outcome.PENDING  # a preliminary is pending
            if now != shown:
                shown = now
                last = entry.valid if last is None else max(last, entry.valid)
                changes.append((last, replayed.jurisdiction, now))

    def report(self) -> ReplayReport:
        """The finished report, jurisdictions sorted by program then slug."""
        ordered = tuple(sorted(self.jurisdictions, key=lambda j: (j.program, j.jurisdiction)))
        decisions: dict[str, dict[str, int]] = {}
        for item in ordered:
            row = decisions.setdefault(item.program, {o.value: 0 for o in Outcome})
            row[item.standing.shown.value] += 1  # only a final decision counts as decided
        return ReplayReport(
            moments=self.moments,
            programs=self.programs,
            selected=self.selected,
            streams=self.streams,
            commits=self.commits,
            events=self.events,
            checkpoints=self.checkpoints,
            findings=tuple(self.findings),
            jurisdictions=ordered,
            decisions=decisions,
            decisions_over_time={p: _series(c) for p, c in sorted(self._changes.items())},
            context=self.context,
            newest_checkpoint=self.newest_checkpoint,
            attested_legacy_commits=self.attested_legacy_commits,
            attesting_checkpoints=self.attesting_checkpoints,
            untrusted_signers=self.untrusted_signers,
        )
