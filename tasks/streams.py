"""Advance a chunk of review streams: read their state, apply the pure planners, append."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from infra.appender import append_planned
from infra.clock import utc_now
from infra.letters import send_letter_for
from infra.runtime import Runtime, get_runtime
from schemas.jurisdiction import Jurisdiction
from schemas.program import ProgramBundle
from schemas.review import plan_decision
from schemas.state import StreamState
from schemas.streams import StreamId

__all__ = ["StreamOutcome", "advance_streams"]


@dataclass(frozen=True)
class StreamOutcome:
    """Where one stream stands after the run, and the head to cover in the next checkpoint."""

    jurisdiction: str
    step: str
    decision: str
    reasons: tuple[str, ...]
    appended: int
    head_seq: int
    head_hash: str


def _advance_one(
    runtime: Runtime,
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    state: StreamState,
    *,
    as_of: datetime,
    known_at: datetime,
    send_letters: bool,
    flow_run_id: str | None,
) -> StreamOutcome:
    appended = 0
    actor = runtime.settings.actor
    if send_letters and state.letter is None:
        result = send_letter_for(
            runtime, bundle, jurisdiction, state, as_of=as_of, flow_run_id=flow_run_id
        )
        state, appended = result.state, appended + int(result.written)
    result = append_planned(
        runtime.log,
        state,
        lambda current: plan_decision(
            current, bundle, jurisdiction, as_of=as_of, known_at=known_at
        ),
        time=utc_now(),
        actor=actor,
        flow_run_id=flow_run_id,
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
    )


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1, persist_result=False)
def advance_streams(
    program: str,
    jurisdictions: list[Jurisdiction],
    as_of: datetime,
    known_at: datetime,
    *,
    send_letters: bool = True,
    flow_run_id: str | None = None,
) -> list[StreamOutcome]:
    """Take each stream in the chunk through every step that is due (idempotent: safe to retry)."""
    runtime = get_runtime()
    bundle = runtime.program(program)
    streams = [StreamId(program=program, jurisdiction=j.slug) for j in jurisdictions]
    states = runtime.log.states(streams)
    workers = max(1, min(runtime.settings.s3_max_workers, len(jurisdictions)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(
            pool.map(
                lambda pair: _advance_one(
                    runtime,
                    bundle,
                    pair[0],
                    states[pair[1]],
                    as_of=as_of,
                    known_at=known_at,
                    send_letters=send_letters,
                    flow_run_id=flow_run_id,
                ),
                zip(jurisdictions, streams, strict=True),
            )
        )
