"""Replay: re-derive every recorded evaluation and decision, and state at two moments.

Pure: infra/replay.py gathers commits, documents and the registry; this module decides.
Each evaluation, decision and revision is evaluated again with the program document
stored under its recorded hash, the response stored under its recorded hash and the
recorded `as_of` / `known_at`, and compared condition by condition. State is then
folded bitemporally: only events recorded at or before `known_at` and valid at or
before `as_of` (see `valid_time`) count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from schemas._findings import LocatedFinding
from schemas._waivers import start_of
from schemas.canonical import sha256_hex
from schemas.errors import InputError
from schemas.evaluation import Evaluation, Outcome
from schemas.events import (
    DecisionIssued,
    DecisionOverridden,
    DecisionRevised,
    DomainEvent,
    JurisdictionsRegistered,
    LetterSent,
    ReevaluationCompleted,
    ResponseAmended,
    ResponseReceived,
    RulesEvaluated,
    UnknownEventTypeError,
)
from schemas.program import ProgramBundle, ProgramError
from schemas.response import Response, parse_response
from schemas.rules import RuleEvaluationError, evaluate
from schemas.state import decoded_events

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from schemas._findings import Finding
    from schemas.commit import Commit
    from schemas.jurisdiction import Jurisdiction
    from schemas.streams import StreamId

__all__ = [
    "JurisdictionReplay",
    "Moments",
    "ProgramCatalog",
    "RegistryHistory",
    "ReplayFinding",
    "ReplayKind",
    "TimelineEntry",
    "compare_evaluations",
    "replay_stream",
    "valid_time",
]


class ReplayKind(StrEnum):
    """What replay names beside the integrity findings of `audit verify`."""

    DIVERGENCE = "divergence"
    MISSING_DOCUMENT = "missing_document"
    TAMPERED_DOCUMENT = "tampered_document"
    UNDERIVABLE = "underivable"
    INCONSISTENT = "inconsistent"


class ReplayFinding(LocatedFinding[str]):
    """One problem replay names: an integrity finding's kind, or a `ReplayKind`."""

    @classmethod
    def from_integrity(cls, finding: Finding) -> ReplayFinding:
        """An integrity finding (hash chain, checkpoints) in replay's shape."""
        return cls.model_validate(finding.model_dump())


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
    """Program bundles rebuilt from stored documents by hash, each parsed once."""

    def __init__(self, documents: Mapping[str, bytes | None]) -> None:
        self._documents = documents
        self._parsed: dict[str, ProgramBundle | tuple[ReplayKind, str]] = {}

    def bundle(self, sha256: str) -> ProgramBundle | tuple[ReplayKind, str]:
        """The bundle stored under `sha256`, or why it cannot be used (kind, detail)."""
        if sha256 not in self._parsed:
            self._parsed[sha256] = self._load(sha256)
        return self._parsed[sha256]

    def _load(self, sha256: str) -> ProgramBundle | tuple[ReplayKind, str]:
        raw = self._documents.get(sha256)
        short = f"program document {sha256[:16]}..."
        if raw is None:
            return ReplayKind.MISSING_DOCUMENT, f"{short} is not stored"
        if sha256_hex(raw) != sha256:
            return ReplayKind.TAMPERED_DOCUMENT, f"stored {short} no longer matches its hash"
        try:
            bundle = ProgramBundle.from_document(raw, source=short)
        except ProgramError as error:
            return ReplayKind.UNDERIVABLE, str(error)
        if bundle.sha256 != sha256:
            return ReplayKind.UNDERIVABLE, f"{short} is not in canonical form"
        return bundle


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event as an auditor reads it; `decision` is the one in force after it (if admitted)."""

    seq: int
    type: str
    recorded: datetime
    valid: datetime
    summary: str
    admitted: bool
    decision: Outcome | None = None
    changed: bool = False
    reasons: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The entry in `audit replay --json`."""
        return {
            "seq": self.seq,
            "type": self.type,
            "recorded": self.recorded.isoformat(),
            "valid": self.valid.isoformat(),
            "summary": self.summary,
            "admitted": self.admitted,
            "decision": None if self.decision is None else self.decision.value,
            "changed": self.changed,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class JurisdictionReplay:
    """One stream's state at the moments, and its timeline."""

    program: str
    jurisdiction: str
    decision: Outcome
    automatic_decision: Outcome | None
    reasons: tuple[str, ...]
    override_reason: str | None
    response_sha256: str | None
    head_seq: int
    events: int
    timeline: tuple[TimelineEntry, ...]

    def as_json(self) -> dict[str, Any]:
        """The jurisdiction in `audit replay --json`."""
        return {
            "program": self.program,
            "jurisdiction": self.jurisdiction,
            "decision": self.decision.value,
            "automatic_decision": None
            if self.automatic_decision is None
            else self.automatic_decision.value,
            "overridden": self.override_reason is not None,
            "override_reason": self.override_reason,
            "reasons": list(self.reasons),
            "response_sha256": self.response_sha256,
            "head_seq": self.head_seq,
            "events": self.events,
            "timeline": [entry.as_json() for entry in self.timeline],
        }


def _show(value: object) -> str:
    """A value as an auditor reads it: enum values bare, times in ISO form, tuples as lists."""
    if isinstance(value, StrEnum):
        return repr(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    return repr(value)


def _differ(name: str, recorded: object, derived: object) -> str:
    return f"{name}: recorded {_show(recorded)}, re-derived {_show(derived)}"


def compare_evaluations(recorded: Evaluation, derived: Evaluation) -> list[str]:
    """Every difference, field by field and condition by condition, in plain words."""
    differences = [
        _differ(name, getattr(recorded, name), getattr(derived, name))
        for name in (
            "outcome",
            "reasons",
            "rule_set_version",
            "program_sha256",
            "response_sha256",
            "as_of",
            "known_at",
            "orders_applied",
            "program",
            "jurisdiction",
        )
        if getattr(recorded, name) != getattr(derived, name)
    ]
    mine = {condition.id: condition for condition in recorded.conditions}
    theirs = {condition.id: condition for condition in derived.conditions}
    for cid in sorted(mine.keys() | theirs.keys()):
        if cid not in theirs or cid not in mine:
            where = "recorded only" if cid in mine else "re-derived only"
            differences.append(f"condition {cid}: {where}")
            continue
        for name in ("status", "reason", "waived_by", "title", "source"):
            a, b = getattr(mine[cid], name), getattr(theirs[cid], name)
            if a != b:
                differences.append(_differ(f"condition {cid} {name}", a, b))
    return differences


def _summary(event: DomainEvent) -> str:  # noqa: PLR0911 - one line per event type
    if isinstance(event, LetterSent):
        return f"letter dated {event.letter_date} sent ({event.delivery}); due {event.response_due}"
    if isinstance(event, ResponseAmended):
        return f"response amended by {event.respondent.title} ({len(event.answers)} answers)"
    if isinstance(event, ResponseReceived):
        return f"response received from {event.respondent.title} ({len(event.answers)} answers)"
    if isinstance(event, RulesEvaluated):
        version = event.evaluation.rule_set_version
        return f"rules evaluated (rule set version {version}): {event.evaluation.outcome}"
    if isinstance(event, DecisionIssued):
        return f"decision issued: {event.outcome}"
    if isinstance(event, DecisionRevised):
        orders = ", ".join(event.orders_applied) or "none"
        return f"decision revised: {event.before} -> {event.after} (orders applied: {orders})"
    if isinstance(event, DecisionOverridden):
        return f"decision overridden to {event.decision} by {event.actor}: {event.reason}"
    if isinstance(event, ReevaluationCompleted):
        return f"reevaluation run: {event.revised} of {event.streams} streams revised"
    return event.TYPE.removeprefix("grantreview.").replace(".", " ")


@dataclass
class _Walk:
    """The mutable state of one stream's replay."""

    stream: StreamId
    programs: ProgramCatalog
    responses: Mapping[str, bytes | None]
    registry: RegistryHistory
    findings: list[ReplayFinding] = field(default_factory=list)
    parsed: dict[str, Response | None] = field(default_factory=dict)
    derived: dict[tuple[Any, ...], Evaluation | None] = field(default_factory=dict)
    response_sha: str | None = None
    automatic: Outcome | None = None
    reasons: tuple[str, ...] = ()
    decision_id: str | None = None
    override: DecisionOverridden | None = None

    def find(self, seq: int, kind: ReplayKind, detail: str) -> None:
        finding = ReplayFinding(
            program=self.stream.program,
            jurisdiction=self.stream.jurisdiction,
            seq=seq,
            kind=kind.value,
            detail=detail,
        )
        if finding not in self.findings:
            self.findings.append(finding)

    @property
    def effective(self) -> Outcome:
        if self.override is not None:
            return self.override.decision
        return self.automatic or Outcome.PENDING

    def response(self, sha: str, seq: int) -> Response | None:
        """The stored response under `sha`, parsed once; findings when it is unusable."""
        if sha in self.parsed:
            return self.parsed[sha]
        raw, parsed = self.responses.get(sha), None
        short = f"response document {sha[:16]}..."
        if raw is None:
            self.find(seq, ReplayKind.MISSING_DOCUMENT, f"{short} is not stored")
        elif sha256_hex(raw) != sha:
            self.find(
                seq, ReplayKind.TAMPERED_DOCUMENT, f"stored {short} no longer matches its hash"
            )
        else:
            try:
                parsed = parse_response(raw)
            except InputError as error:
                self.find(seq, ReplayKind.UNDERIVABLE, f"{short}: {error}")
        self.parsed[sha] = parsed
        return parsed

    def derive(
        self, seq: int, recorded: datetime, inputs: Evaluation | DecisionIssued
    ) -> Evaluation | None:
        """Evaluate again from the stored documents and the recorded inputs."""
        key = (inputs.program_sha256, inputs.response_sha256, inputs.as_of, inputs.known_at)
        if key in self.derived:
            return self.derived[key]
        result = None
        bundle = self.programs.bundle(inputs.program_sha256)
        jurisdiction = self.registry.at(self.stream.jurisdiction, recorded)
        sha = inputs.response_sha256
        response = None if sha is None else self.response(sha, seq)
        if isinstance(bundle, tuple):
            self.find(seq, bundle[0], bundle[1])
        elif jurisdiction is None:
            detail = f"{self.stream.jurisdiction} was not in the registry when this was recorded"
            self.find(seq, ReplayKind.UNDERIVABLE, detail)
        elif sha is None or response is not None:
            try:
                result = evaluate(
                    bundle,
                    jurisdiction,
                    response,
                    response_sha256=sha,
                    as_of=inputs.as_of,
                    known_at=inputs.known_at,
                )
            except (InputError, RuleEvaluationError) as error:
                self.find(seq, ReplayKind.UNDERIVABLE, f"cannot evaluate again: {error}")
        self.derived[key] = result
        return result

    def diverged(self, seq: int, what: str, differences: Sequence[str]) -> None:
        if differences:
            shown = "; ".join(differences[:6])
            more = f" (+{len(differences) - 6} more)" if len(differences) > 6 else ""  # noqa: PLR2004
            self.find(seq, ReplayKind.DIVERGENCE, f"{what}: {shown}{more}")

    def check(self, seq: int, recorded: datetime, event: DomainEvent) -> None:
        """Re-derive or cross-check one event against what came before it."""
        if isinstance(event, ResponseReceived):
            self.check_response(seq, event)
        elif isinstance(event, RulesEvaluated):
            self.check_evaluation(seq, recorded, event.evaluation, "recorded evaluation")
            if event.decision_id != event.evaluation.decision_id:
                self.find(seq, ReplayKind.INCONSISTENT, "decision_id is not the evaluation's id")
        elif isinstance(event, DecisionIssued):
            self.check_decision(seq, recorded, event)
        elif isinstance(event, DecisionRevised):
            self.check_revision(seq, recorded, event)
        elif isinstance(event, DecisionOverridden) and event.previous not in {None, self.effective}:
            detail = f"override names previous {event.previous}, but {self.effective} was in force"
            self.find(seq, ReplayKind.INCONSISTENT, detail)

    def check_response(self, seq: int, event: ResponseReceived) -> None:
        if isinstance(event, ResponseAmended) and event.supersedes_sha256 != self.response_sha:
            self.find(seq, ReplayKind.INCONSISTENT, "amendment supersedes a response not in force")
        stored = self.response(event.response_sha256, seq)
        if stored is None:
            return
        recorded = (
            self.stream.program,
            self.stream.jurisdiction,
            event.received_at,
            event.respondent,
            event.answers,
        )
        found = (
            stored.program,
            stored.jurisdiction,
            stored.received_at,
            stored.respondent,
            stored.answers,
        )
        names = ("program", "jurisdiction", "received_at", "respondent", "answers")
        self.diverged(
            seq,
            "recorded response differs from the stored document",
            [f"{n} differs" for n, a, b in zip(names, recorded, found, strict=True) if a != b],
        )

    def check_evaluation(self, seq: int, recorded: datetime, ev: Evaluation, what: str) -> None:
        if (ev.program, ev.jurisdiction) != (self.stream.program, self.stream.jurisdiction):
            self.find(seq, ReplayKind.INCONSISTENT, f"{what} is for {ev.program}/{ev.jurisdiction}")
        if ev.response_sha256 != self.response_sha:
            detail = f"{what} used response {ev.response_sha256}, not the one in force"
            self.find(seq, ReplayKind.INCONSISTENT, detail)
        derived = self.derive(seq, recorded, ev)
        if derived is not None:
            self.diverged(seq, what, compare_evaluations(ev, derived))

    def check_decision(self, seq: int, recorded: datetime, event: DecisionIssued) -> None:
        derived = self.derive(seq, recorded, event)
        if derived is None:
            return
        self.diverged(
            seq,
            "recorded decision",
            [
                _differ(name, getattr(event, name), getattr(derived, name))
                for name in ("outcome", "reasons", "rule_set_version", "decision_id")
                if getattr(event, name) != getattr(derived, name)
            ],
        )

    def check_revision(self, seq: int, recorded: datetime, event: DecisionRevised) -> None:
        ev = event.evaluation
        self.check_evaluation(seq, recorded, ev, "revised evaluation")
        stated = (
            event.after,
            event.reasons,
            event.program_sha256,
            event.rule_set_version,
            event.orders_applied,
            event.decision_id,
        )
        follows = (
            ev.outcome,
            ev.reasons,
            ev.program_sha256,
            ev.rule_set_version,
            ev.orders_applied,
            ev.decision_id,
        )
        if stated != follows:
            self.find(seq, ReplayKind.DIVERGENCE, "revision does not match its own evaluation")
        before = (event.before, event.reasons_before, event.previous_decision_id)
        if before != (self.automatic or Outcome.PENDING, self.reasons, self.decision_id):
            self.find(
                seq, ReplayKind.INCONSISTENT, "revision's before is not the decision in force"
            )

    def apply(self, event: DomainEvent) -> None:
        """Move the full-history state past `event` (for the cross-checks)."""
        if isinstance(event, ResponseReceived):
            self.response_sha = event.response_sha256
        elif isinstance(event, DecisionIssued):
            self.automatic, self.reasons, self.decision_id = (
                event.outcome,
                event.reasons,
                event.decision_id,
            )
        elif isinstance(event, DecisionRevised):
            self.automatic, self.reasons, self.decision_id = (
                event.after,
                event.reasons,
                event.decision_id,
            )
        elif isinstance(event, DecisionOverridden):
            self.override = event


def replay_stream(
    stream: StreamId,
    commits: Sequence[Commit],
    *,
    programs: ProgramCatalog,
    responses: Mapping[str, bytes | None],
    registry: RegistryHistory,
    moments: Moments,
) -> tuple[JurisdictionReplay, list[ReplayFinding]]:
    """Re-derive each event of one stream (intact commits, in seq order); fold it at `moments`."""
    walk = _Walk(stream, programs, responses, registry)
    view = _Walk(stream, programs, responses, registry)  # only the admitted events
    timeline: list[TimelineEntry] = []
    events = 0
    for commit in commits:
        try:
            decoded = decoded_events(commit)
        except (UnknownEventTypeError, ValidationError, KeyError, TypeError) as error:
            walk.find(commit.seq, ReplayKind.UNDERIVABLE, f"an event cannot be read: {error}")
            continue
        for recorded, event in decoded:
            events += 1
            walk.check(commit.seq, recorded, event)
            walk.apply(event)
            valid = valid_time(event, recorded)
            admitted = moments.admits(valid, recorded)
            entry = TimelineEntry(
                commit.seq,
                event.TYPE.removeprefix("grantreview."),
                recorded,
                valid,
                _summary(event),
                admitted,
            )
            if admitted:
                before = view.effective if view.automatic or view.override else None
                view.apply(event)
                after = view.effective if view.automatic or view.override else None
                changed = after is not None and after != before
                reasons = (view.override.reason,) if view.override else view.reasons
                entry = TimelineEntry(
                    entry.seq,
                    entry.type,
                    recorded,
                    valid,
                    entry.summary,
                    admitted=True,
                    decision=after,
                    changed=changed,
                    reasons=reasons if changed else (),
                )
            timeline.append(entry)
    result = JurisdictionReplay(
        program=stream.program,
        jurisdiction=stream.jurisdiction,
        decision=view.effective,
        automatic_decision=view.automatic,
        reasons=view.reasons,
        override_reason=None if view.override is None else view.override.reason,
        response_sha256=view.response_sha,
        head_seq=commits[-1].seq if commits else -1,
        events=events,
        timeline=tuple(timeline),
    )
    return result, walk.findings
