"""Advance a chunk of review streams: read their state, apply the pure planners, append."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from enum import StrEnum

from infra.eventlog.appender import append_planned
from infra.eventlog.log import CorruptStreamError
from infra.platform import progress
from infra.platform.clock import utc_now
from infra.runtime import Runtime, get_runtime
from schemas.log.final_record import FinalRecord, final_record
from schemas.log.state import StreamState
from schemas.log.streams import StreamId
from schemas.planning.review import plan_decision
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from tasks._io import io_task
from usecases.letters import send_letter_for, send_reminder_for
from usecases.notices import send_notice_for
from usecases.stream_outcome import StreamOutcome
from usecases.valid_time import writing_moment

__all__ = ["Pass", "advance_chunk", "advance_streams"]


class Pass(StrEnum):
    """Which steps a pass over streams may take."""

    REVIEW = "review"
    """Letter if none was sent, then a decision if one is due."""
    DECIDE = "decide"
    """Only a decision, if one is due (after a response)."""
    DEADLINES = "deadlines"
    """For streams with a letter: a reminder if due, then a no-response decision if due."""


def _advance_one(
    runtime: Runtime,
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    state: StreamState,
    *,
    as_of: datetime,
    known_at: datetime,
    steps: Pass,
    flow_run_id: str | None,
) -> StreamOutcome:
    appended = 0
    decided_now = False
    started_at = state.head_seq
    if steps is Pass.REVIEW and state.letter is None:
        result = send_letter_for(
            runtime, bundle, jurisdiction, state, as_of=as_of, flow_run_id=flow_run_id
        )
        state, appended = result.state, appended + int(result.written)
    if steps is Pass.DEADLINES:
        result = send_reminder_for(
            runtime, bundle, jurisdiction, state, as_of=as_of, flow_run_id=flow_run_id
        )
        state, appended = result.state, appended + int(result.written)
    if steps is not Pass.DEADLINES or state.letter is not None:
        result = append_planned(
            runtime.log,
            state,
            lambda current: plan_decision(
                current, bundle, jurisdiction, as_of=as_of, known_at=known_at
            ),
            time=utc_now(),
            actor=runtime.settings.actor,
            flow_run_id=flow_run_id,
        )
        state, appended = result.state, appended + int(result.written)
        decided_now = result.written
    if bundle.program.review is not None:
        result = send_notice_for(
            runtime, bundle, jurisdiction, state, as_of=as_of, flow_run_id=flow_run_id
        )
        state, appended = result.state, appended + int(result.written)
    return StreamOutcome(
        jurisdiction=jurisdiction.slug,
        step=state.step.value,
        decision=state.effective_decision.value,
        reasons=state.reasons,
        appended=appended,
        head_seq=state.head_seq,
        head_hash=state.head_hash,
        decided_now=decided_now,
        decision_id=state.decision_id,
        rule_set_version=None if state.evaluation is None else state.evaluation.rule_set_version,
        response_sha256=state.decided_response_sha,
        name=jurisdiction.name,
        stage=None if state.stage is None else state.stage.value,
        award_action=state.award_action,
        final=_final_now(state, started_at),
    )


def _final_now(state: StreamState, started_at: int) -> FinalRecord | None:
    """The final determination if a commit of this pass made the review final."""
    record = final_record(state)
    return record if record is not None and record.seq > started_at else None


def advance_chunk(
    program: str,
    jurisdictions: list[Jurisdiction],
    as_of: datetime,
    known_at: datetime,
    *,
    steps: Pass,
    flow_run_id: str | None,
    share: int = 1,
) -> list[StreamOutcome]:
    """Read the chunk's streams concurrently and take each through the pass's due steps.

    A stream holding a commit no trusted key signed is left alone and reported refused; an
    `as_of` after now (plus the clock skew) is refused before anything is read.

    `share` is how many chunks run at once: together they use at most s3_max_workers threads
    (more only thrash the GIL and overflow the S3 connection pool).
    """
    runtime = get_runtime()
    writing_moment(runtime, as_of)  # a future as_of would close windows early: refused
    bundle = runtime.program(program)
    streams = [StreamId(program=program, jurisdiction=j.slug) for j in jurisdictions]
    budget = max(1, runtime.settings.s3_max_workers // max(1, share))
    states, refused = runtime.log.trusted_states(streams, workers=budget)
    workers = max(1, min(budget, len(jurisdictions)))
    trusted = [(j, s) for j, s in zip(jurisdictions, streams, strict=True) if s not in refused]
    skipped = [
        StreamOutcome.damage(s.jurisdiction, str(error))
        if isinstance(error, CorruptStreamError)
        else StreamOutcome.refusal(s.jurisdiction, str(error))
        for s, error in refused.items()
    ]
    progress.advance(len(skipped))

    def advance_one(pair: tuple[Jurisdiction, StreamId]) -> StreamOutcome:
        outcome = _advance_one(
            runtime,
            bundle,
            pair[0],
            states[pair[1]],
            as_of=as_of,
            known_at=known_at,
            steps=steps,
            flow_run_id=flow_run_id,
        )
        progress.advance()
        return outcome

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return skipped + list(pool.map(advance_one, trusted))


@io_task
def advance_streams(
    program: str,
    jurisdictions: list[Jurisdiction],
    as_of: datetime,
    known_at: datetime,
    *,
    send_letters: bool = True,
    flow_run_id: str | None = None,
    share: int = 1,
) -> list[StreamOutcome]:
    """Take each stream in the chunk through every step that is due (idempotent: safe to retry)."""
    steps = Pass.REVIEW if send_letters else Pass.DECIDE
    return advance_chunk(
        program, jurisdictions, as_of, known_at, steps=steps, flow_run_id=flow_run_id, share=share
    )
