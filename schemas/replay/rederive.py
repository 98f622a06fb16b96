"""Replay: re-derive every recorded evaluation and decision, and state at two moments.

Pure: usecases/replay.py gathers commits, documents and the registry; this module decides.
Each evaluation, decision and revision is evaluated again with the program document
stored under its recorded hash, the response stored under its recorded hash and the
recorded `as_of` / `known_at`, and compared condition by condition. State is then
folded bitemporally: only events recorded at or before `known_at` and valid at or
before `as_of` (see `valid_time`) count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from schemas.base.canonical import sha256_hex
from schemas.base.errors import InputError
from schemas.base.findings import ReplayFinding, ReplayKind, ReplayProblem
from schemas.events.catalog import (
    DecisionIssued,
    DecisionOverridden,
    DecisionRevised,
    DomainEvent,
    OrderAdded,
    ResponseAmended,
    ResponseReceived,
    RulesEvaluated,
    UnknownEventTypeError,
)
from schemas.log.state import StreamState, apply_event, decoded_events
from schemas.program.response import Response, parse_response
from schemas.replay._compare import compare_evaluations, differ
from schemas.replay._inputs import Moments, ProgramCatalog, RegistryHistory, valid_time
from schemas.replay._orders import order_problems
from schemas.replay._stages import StageReplay
from schemas.replay._standing import standing_of
from schemas.replay._timeline import (
    JurisdictionReplay,
    TimelineEntry,
    evidence,
    sent_document,
    stage_of,
    summarize,
)
from schemas.rules.engine import RuleEvaluationError, evaluate
from schemas.rules.evaluation import Evaluation, Outcome

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from schemas.log.commit import Commit
    from schemas.log.streams import StreamId

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
    state: StreamState = field(init=False)
    """The stream folded by the writers' own fold (`apply_event`), one event at a time."""

    def __post_init__(self) -> None:
        self.state = StreamState(stream=self.stream)

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
        if isinstance(bundle, ReplayProblem):
            self.find(seq, bundle.kind, bundle.detail)
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
                    due=inputs.due,
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
        elif isinstance(event, OrderAdded):
            for problem in order_problems(
                event, self.stream.program, self.programs, self.responses
            ):
                self.find(seq, problem.kind, problem.detail)
        elif isinstance(event, DecisionOverridden):
            in_force = self.state.effective_decision
            if event.previous not in {None, in_force}:
                detail = f"override names previous {event.previous}, but {in_force} was in force"
                self.find(seq, ReplayKind.INCONSISTENT, detail)

    def check_response(self, seq: int, event: ResponseReceived) -> None:
        if (
            isinstance(event, ResponseAmended)
            and event.supersedes_sha256 != self.state.response_sha
        ):
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
        if ev.response_sha256 != self.state.response_sha:
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
                differ(name, getattr(event, name), getattr(derived, name))
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
        self.check_told(seq, event)
        before = (event.before, event.reasons_before, event.previous_decision_id)
        state = self.state
        if before != (state.decision or Outcome.PENDING, state.reasons, state.decision_id):
            self.find(
                seq, ReplayKind.INCONSISTENT, "revision's before is not the decision in force"
            )

    def check_told(self, seq: int, event: DecisionRevised) -> None:
        """A revision that is told (version 4) says what its program's review path says."""
        if not event.notice and event.award_action is None:
            return  # version 3 and older, or a program without a review path
        bundle = self.programs.bundle(event.program_sha256)
        if isinstance(bundle, ReplayProblem):
            return  # the evaluation's check reports the missing program
        review = bundle.program.review
        actions = {} if review is None else {str(k): v for k, v in review.award_actions.items()}
        if (event.notice, event.award_action) != (
            review is not None,
            actions.get(event.after.value),
        ):
            detail = "revision's notice or award action is not its program's review path"
            self.find(seq, ReplayKind.DIVERGENCE, detail)

    def apply(self, recorded: datetime, event: DomainEvent) -> None:
        """Move the state past `event` (for the cross-checks), with the writers' fold."""
        self.state = apply_event(self.state, event, recorded)


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
    view.state = walk.state  # the same until an event is not admitted: then folded apart
    stages = StageReplay(stream, programs, responses, registry)
    final = False
    timeline: list[TimelineEntry] = []
    events = 0
    for commit in commits:
        try:
            decoded = decoded_events(commit)
        except (UnknownEventTypeError, ValidationError, KeyError, TypeError) as error:
            walk.find(commit.seq, ReplayKind.UNDERIVABLE, f"an event cannot be read: {error}")
            continue
        for problem in stages.commit(commit, [event for _, event in decoded]):
            walk.find(commit.seq, problem.kind, problem.detail)
        for recorded, event in decoded:
            events += 1
            prior = walk.state
            walk.check(commit.seq, recorded, event)
            walk.apply(recorded, event)
            valid = valid_time(event, recorded)
            admitted = moments.admits(valid, recorded)
            program_sha, response_sha = evidence(event)
            entry = TimelineEntry(
                commit.seq,
                event.TYPE.removeprefix("grantreview."),
                recorded,
                valid,
                summarize(event),
                admitted,
                program_sha256=program_sha,
                response_sha256=response_sha,
                stage=stage_of(event),
                document_sha256=sent_document(event),
            )
            if admitted:
                before = (view.state.decision_in_force, final)
                if view.state is prior:  # the fold is pure: walk just folded this very state
                    view.state = walk.state
                else:
                    view.apply(recorded, event)
                after = view.state.decision_in_force
                final = standing_of(view.state, view.state.effective_decision).final
                changed = after is not None and (after, final) != before  # or became final
                reasons = view.state.reasons_in_force
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
                    program_sha256=program_sha,
                    response_sha256=response_sha,
                    stage=entry.stage,
                    final=final,
                    document_sha256=entry.document_sha256,
                )
            timeline.append(entry)
    result = JurisdictionReplay(
        program=stream.program,
        jurisdiction=stream.jurisdiction,
        decision=view.state.effective_decision,
        automatic_decision=view.state.decision,
        reasons=view.state.reasons,
        override_reason=None if view.state.override is None else view.state.override.reason,
        response_sha256=view.state.response_sha,
        head_seq=commits[-1].seq if commits else -1,
        events=events,
        timeline=tuple(timeline),
        standing=standing_of(view.state, view.state.effective_decision),
    )
    return result, walk.findings
