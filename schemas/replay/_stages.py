"""Replay of a staged review: every stage transition planned again from the state before it.

The writers plan each act with the pure planners of `schemas.planning.stages` against the stream
as folded before the commit; replay folds the same state and asks the same planner for
the same commit. A preliminary decision, an automatic final (a closed answer window), a
person's determination, a request for information, an extension and an award action
must come out event for event, under the same idempotency key. A notice is rendered
again from that state and must hash to the documents it names, which must be stored
unaltered. A program without a `review:` section never reaches the planners here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from schemas.base.canonical import format_time, sha256_hex
from schemas.base.errors import ControlSignal, InputError
from schemas.base.findings import ReplayKind, ReplayProblem
from schemas.events.catalog import (
    ActEvent,
    AwardActionRecorded,
    DeadlineExtended,
    DecisionDetermined,
    DecisionIssued,
    DomainEvent,
    InformationRequested,
    NoticeQueued,
    NoticeSent,
    ResponseReceived,
    RulesEvaluated,
)
from schemas.log.state import StreamState, advance
from schemas.people.clock import DEFAULT_SKEW
from schemas.planning.notices import notice_due, render_notice
from schemas.planning.stages import plan_determination, plan_extension, plan_information, plan_stage
from schemas.planning.valid_time import future_problem, response_time_problem
from schemas.program.definition import ProgramBundle
from schemas.program.review_path import Stage
from schemas.rules.engine import RuleEvaluationError
from schemas.rules.waivers import start_of

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from schemas.log.commit import Commit
    from schemas.log.streams import StreamId
    from schemas.planning.draft import CommitDraft
    from schemas.replay._inputs import ProgramCatalog, RegistryHistory

__all__ = ["StageReplay"]


class _Unplannable(ControlSignal):
    """The act cannot be planned again without a program document or a registry row."""


_ACT_EVENTS = "grantreview.act."
_PLANNED = (
    DecisionIssued,
    DecisionDetermined,
    InformationRequested,
    DeadlineExtended,
    AwardActionRecorded,
)


@dataclass
class StageReplay:
    """The stream's full-history state, and the stage checks of each commit against it."""

    stream: StreamId
    programs: ProgramCatalog
    documents: Mapping[str, bytes | None]
    registry: RegistryHistory
    state: StreamState = field(init=False)
    program_sha: str | None = None
    """The program document the stream's latest commit that names one was written under."""

    def __post_init__(self) -> None:
        self.state = StreamState(stream=self.stream)

    def commit(self, commit: Commit, events: Sequence[DomainEvent]) -> list[ReplayProblem]:
        """Check one commit against the state before it, then fold it."""
        before = self.state
        problems: list[ReplayProblem] = []
        # A person's signed (or approved) act leads the commit it caused; the audit pass
        # checks acts, this checks what they did.
        done = [event for event in events if not event.TYPE.startswith(_ACT_EVENTS)]
        problems.extend(_timing(before, commit.time, events))
        if done and isinstance(done[0], NoticeQueued | NoticeSent):
            problems.extend(self._notice(before, commit.time, done[0]))
        elif any(isinstance(event, _PLANNED) for event in done):
            problems.extend(self._planned(before, commit, done))
        self.state = advance(before, commit.head, events)
        named = [str(e.get("grprogramsha") or "") for e in commit.events]
        self.program_sha = next((sha for sha in reversed(named) if sha), self.program_sha)
        return problems

    def _bundle(self, state: StreamState, events: Sequence[DomainEvent]) -> ProgramBundle | None:
        """The program the act was planned under: its decision's, else the latest one named."""
        named = [e.program_sha256 for e in events if isinstance(e, DecisionIssued)]
        if not named and state.last_decision is not None:
            named = [state.last_decision.program_sha256]
        if not named and self.program_sha is not None:
            named = [self.program_sha]
        bundle = self.programs.bundle(named[0]) if named else None
        return bundle if isinstance(bundle, ProgramBundle) else None  # else derive() says why

    def _plan(
        self,
        before: StreamState,
        recorded: datetime,
        events: Sequence[DomainEvent],
        bundle: ProgramBundle | None,
    ) -> CommitDraft | None:
        """What the planner of the act the commit records gives for the state before it."""
        first = events[0]
        if isinstance(first, DeadlineExtended):
            return plan_extension(before, until=first.until, reason=first.reason, actor=first.actor)
        if bundle is None:
            raise _Unplannable
        if isinstance(first, DecisionDetermined):
            return plan_determination(
                before,
                bundle.program,
                decision=first.decision,
                reason=first.reason,
                actor=first.actor,
                as_of=first.as_of,
            )
        if isinstance(first, InformationRequested):
            return plan_information(
                before,
                bundle.program,
                questions=first.questions,
                due=first.due,
                reason=first.reason,
                actor=first.actor,
                as_of=start_of(first.requested_on),
            )
        jurisdiction = self.registry.at(self.stream.jurisdiction, recorded)
        if jurisdiction is None:
            raise _Unplannable  # derive() names the missing registry row
        inputs = first.evaluation if isinstance(first, RulesEvaluated) else None
        # A close carries no moment of its own: the window must have shut by the recording.
        as_of = recorded if inputs is None else inputs.as_of
        known_at = recorded if inputs is None else inputs.known_at
        return plan_stage(before, bundle, jurisdiction, as_of=as_of, known_at=known_at)

    def _planned(  # noqa: PLR0911 - one return per way a transition can fail
        self, before: StreamState, commit: Commit, events: Sequence[DomainEvent]
    ) -> list[ReplayProblem]:
        staged_decision = any(isinstance(e, DecisionIssued) and e.stage is not None for e in events)
        if not staged_decision and not isinstance(events[0], _PLANNED):
            return []  # a one-stage decision: schemas/replay/rederive.py re-derives it as before
        act = next((e for e in events if isinstance(e, _PLANNED)), events[0])
        what = act.TYPE.removeprefix("grantreview.")
        bundle = self._bundle(before, events)
        one_stage = bundle is not None and bundle.program.review is None
        if one_stage and not isinstance(events[0], DeadlineExtended | InformationRequested):
            return [
                ReplayProblem(
                    ReplayKind.INCONSISTENT, f"{what}: a stage act under a one-stage program"
                )
            ]
        try:
            draft = self._plan(before, commit.time, events, bundle)
        except _Unplannable:
            return []  # no program document or registry row: derive() reports those
        except (InputError, RuleEvaluationError) as error:
            return [
                ReplayProblem(
                    ReplayKind.INCONSISTENT, f"{what}: not allowed where the review stood: {error}"
                )
            ]
        if draft is None and _closes_window(events):
            detail = f"{what}: the answer window had not closed by {format_time(commit.time)}"
            return [ReplayProblem(ReplayKind.PREMATURE, detail)]
        if draft is None:
            return [
                ReplayProblem(
                    ReplayKind.DIVERGENCE, f"{what}: the review path calls for nothing here"
                )
            ]
        if (
            tuple(draft.payloads) != tuple(events)
            or draft.idempotency_key != commit.idempotency_key
        ):
            derived = ", ".join(p.TYPE.removeprefix("grantreview.") for p in draft.payloads)
            detail = (
                f"{what}: re-derived {draft.idempotency_key} ({derived}) "
                "differs from the recorded commit"
            )
            return [ReplayProblem(ReplayKind.DIVERGENCE, detail)]
        return []

    def _notice(
        self, before: StreamState, recorded: datetime, event: NoticeQueued | NoticeSent
    ) -> list[ReplayProblem]:
        problems = [
            *self._stored(event.notice_sha256, "notice"),
            *self._stored(event.html_sha256, "notice HTML"),
        ]
        pinned = before.notice_queued
        if isinstance(event, NoticeSent) and event.delivery == "smtp":
            same = pinned is not None and (
                pinned.notice_id,
                pinned.notice_sha256,
                pinned.html_sha256,
                pinned.delivery_id,
                pinned.template,
            ) == (
                event.notice_id,
                event.notice_sha256,
                event.html_sha256,
                event.delivery_id,
                event.template,
            )
            if not same:
                problems.append(
                    ReplayProblem(ReplayKind.INCONSISTENT, "notice sent is not the one queued")
                )
            return problems
        if notice_due(before) != (event.notice_id, event.kind):
            problems.append(
                ReplayProblem(ReplayKind.INCONSISTENT, f"no {event.kind} notice was due here")
            )
            return problems
        bundle = self._notice_bundle(before, event)
        jurisdiction = self.registry.at(self.stream.jurisdiction, recorded)
        if bundle is None or jurisdiction is None:
            return problems
        rendered, answer_due = render_notice(  # with the template version it was sent with
            bundle, jurisdiction, before, event.notice_date, event.template
        )
        derived = (
            sha256_hex(rendered.markdown.encode("utf-8")),
            sha256_hex(rendered.html.encode("utf-8")),
            answer_due,
        )
        if derived != (event.notice_sha256, event.html_sha256, event.answer_due):
            detail = f"{event.kind} notice {event.notice_id}: rendered again it differs"
            problems.append(ReplayProblem(ReplayKind.DIVERGENCE, detail))
        return problems

    def _notice_bundle(
        self, before: StreamState, event: NoticeQueued | NoticeSent
    ) -> ProgramBundle | None:
        """A revision notice is the revision's (its program, as preview and sender had it)."""
        if event.kind != "revision" or before.evaluation is None:
            return self._bundle(before, ())
        bundle = self.programs.bundle(before.evaluation.program_sha256)
        return bundle if isinstance(bundle, ProgramBundle) else None

    def _stored(self, sha: str, what: str) -> list[ReplayProblem]:
        raw = self.documents.get(sha)
        short = f"{what} document {sha[:16]}..."
        if raw is None:
            return [ReplayProblem(ReplayKind.MISSING_DOCUMENT, f"{short} is not stored")]
        if sha256_hex(raw) != sha:
            return [
                ReplayProblem(
                    ReplayKind.TAMPERED_DOCUMENT, f"stored {short} no longer matches its hash"
                )
            ]
        return []


def _timing(
    before: StreamState, recorded: datetime, events: Sequence[DomainEvent]
) -> list[ReplayProblem]:
    """Valid times against the commit's recorded time (docs/log-format.md, "Clock policy").

    A determination, an evaluation or a request dated after its commit's time (beyond the
    skew the commit's act was recorded under, else the default) closed a window or made a
    final early; a response must lie between its letter's date and its recording.
    """
    clock = next((e.clock for e in events if isinstance(e, ActEvent) and e.clock), None)
    skew = DEFAULT_SKEW if clock is None else timedelta(seconds=clock.skew_seconds)
    problems: list[ReplayProblem] = []
    for event in events:
        what = event.TYPE.removeprefix("grantreview.")
        if isinstance(event, ResponseReceived):
            problem = response_time_problem(before, event.received_at, recorded, skew)
            if problem is not None:
                problems.append(ReplayProblem(ReplayKind.MISDATED_RESPONSE, f"{what}: {problem}"))
            continue
        valid = _valid_time(event)
        problem = None if valid is None else future_problem(valid, recorded, skew)
        if problem is not None:
            problems.append(ReplayProblem(ReplayKind.PREMATURE, f"{what}: {problem}"))
    return problems


def _valid_time(event: DomainEvent) -> datetime | None:
    """The moment a stage event was made for, if it carries one."""
    if isinstance(event, DecisionDetermined):
        return event.as_of
    if isinstance(event, RulesEvaluated):
        return event.evaluation.as_of
    if isinstance(event, InformationRequested):
        return start_of(event.requested_on)
    return None


def _closes_window(events: Sequence[DomainEvent]) -> bool:
    """A final decision with no evaluation of its own: an answer window closing."""
    first = events[0]
    closing = isinstance(first, DecisionIssued) and first.stage is Stage.FINAL
    return closing and not any(isinstance(event, RulesEvaluated) for event in events)
