"""Reevaluation's I/O, one concern per task: read states, revise a chunk, store, record, index."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

from infra.appender import append_planned
from infra.clock import utc_now
from infra.range_results import RangeResult, read_range_results
from infra.runtime import get_runtime
from infra.state_index import (
    LoadedStates,
    load_states,
    snapshot_states,
    with_heads,
    write_snapshot,
)
from schemas.events import ReevaluationCompleted
from schemas.jurisdiction import Jurisdiction
from schemas.program import ProgramBundle
from schemas.reevaluation import (
    RevisionStatus,
    StreamReevaluation,
    plan_revision,
    plan_run_record,
    reevaluate_stream,
    unregistered,
)
from schemas.review import CommitDraft
from schemas.state import StreamState
from schemas.state_snapshot import IndexedStream
from tasks._io import io_task

__all__ = [
    "ChunkResult",
    "append_run_record",
    "gather_range_results",
    "read_range_states",
    "read_stream_states",
    "reevaluate_chunk",
    "store_outcomes",
    "store_range_result",
    "write_state_index",
]


@dataclass(frozen=True)
class ChunkResult:
    """One chunk's findings (drafts dropped) and the states of the streams it appended to."""

    results: list[StreamReevaluation]
    appended: list[StreamState]


@io_task
def read_stream_states(program: str) -> LoadedStates:
    """Every review stream's current state: the index brought up to date (checkpoint or listing)."""
    runtime = get_runtime()
    return load_states(runtime.log, program, workers=runtime.settings.s3_max_workers)


def _apply(
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    state: StreamState,
    found: StreamReevaluation,
    *,
    as_of: datetime,
    known_at: datetime,
    flow_run_id: str | None,
) -> tuple[StreamReevaluation, StreamState | None]:
    """Append the planned revision; after a conflict the planner decides again on fresh state."""
    runtime = get_runtime()

    def plan(current: StreamState) -> CommitDraft | None:
        if current is state:
            return found.draft
        return plan_revision(current, bundle, jurisdiction, as_of=as_of, known_at=known_at)

    result = append_planned(
        runtime.log,
        state,
        plan,
        time=utc_now(),
        actor=runtime.settings.actor,
        flow_run_id=flow_run_id,
    )
    if result.written:
        return replace(found, draft=None), result.state
    again = reevaluate_stream(result.state, bundle, jurisdiction, as_of=as_of, known_at=known_at)
    return replace(again, draft=None), None


@io_task
def reevaluate_chunk(
    program: str,
    pairs: list[tuple[StreamState, Jurisdiction | None]],
    as_of: datetime,
    known_at: datetime,
    *,
    dry_run: bool,
    writers: int,
    flow_run_id: str | None = None,
) -> ChunkResult:
    """Evaluate a chunk in memory, then append its revisions with `writers` threads (idempotent)."""
    bundle = get_runtime().program(program)
    found = [
        unregistered(state)
        if jurisdiction is None
        else reevaluate_stream(state, bundle, jurisdiction, as_of=as_of, known_at=known_at)
        for state, jurisdiction in pairs
    ]
    due = [
        (index, pair)
        for index, pair in enumerate(pairs)
        if found[index].status is RevisionStatus.REVISED and pair[1] is not None
    ]
    results = [replace(item, draft=None) for item in found]
    appended: list[StreamState] = []
    if dry_run or not due:
        return ChunkResult(results, appended)
    with ThreadPoolExecutor(max_workers=max(1, min(writers, len(due)))) as pool:
        done = pool.map(
            lambda item: _apply(
                bundle,
                item[1][1],
                item[1][0],
                found[item[0]],
                as_of=as_of,
                known_at=known_at,
                flow_run_id=flow_run_id,
            ),
            due,
        )
        for (index, _), (result, state) in zip(due, done, strict=True):
            results[index] = result
            if state is not None:
                appended.append(state)
    return ChunkResult(results, appended)


@io_task
def store_outcomes(document: bytes) -> str:
    """Store the run's outcome list content-addressed; returns its SHA-256."""
    return get_runtime().documents.put(document)


@io_task
def append_run_record(
    runs: StreamState, record: ReevaluationCompleted, run_id: str, flow_run_id: str | None
) -> StreamState:
    """Append the run record to the program's runs stream (once per run id)."""
    runtime = get_runtime()
    result = append_planned(
        runtime.log,
        runs,
        lambda current: plan_run_record(current, record, run_id),
        time=utc_now(),
        actor=runtime.settings.actor,
        flow_run_id=flow_run_id,
    )
    return result.state


@io_task
def write_state_index(
    program: str,
    states: dict[str, StreamState],
    appended: list[StreamState],
    checkpoint_seq: int | None = None,
) -> str:
    """Write the snapshot of the states after this run (a no-op when nothing moved).

    `checkpoint_seq` is `LoadedStates.checkpoint_seq`: the checkpoint the states include.
    """
    merged = with_heads(states, appended).values()
    return write_snapshot(get_runtime().log, program, merged, checkpoint_seq=checkpoint_seq)


@io_task
def read_range_states(
    program: str, snapshot_sha256: str, first: str, last: str
) -> dict[str, StreamState]:
    """A range run's input: the states its parent read, from the pinned snapshot."""
    return snapshot_states(get_runtime().log, program, snapshot_sha256, first, last)


@io_task
def store_range_result(  # noqa: PLR0917 - one value per field of the stored document
    program: str,
    run_id: str,
    index: int,
    bounds: tuple[str, str],
    flow_run_id: str | None,
    found: ChunkResult,
) -> str:
    """Leave a range run's findings in the bucket for its parent (write-once); the key."""
    result = RangeResult(
        program=program,
        run_id=run_id,
        index=index,
        first=bounds[0],
        last=bounds[1],
        flow_run_id=flow_run_id,
        results=tuple(found.results),
        appended=tuple(IndexedStream.of(state) for state in found.appended),
    )
    return result.write(get_runtime().log)


@io_task
def gather_range_results(program: str, run_id: str, count: int) -> ChunkResult:
    """Every range run's findings and appended states, merged (raises if one is missing)."""
    merged = ChunkResult([], [])
    for found in read_range_results(get_runtime().log, program, run_id, count):
        merged.results.extend(found.results)
        merged.appended.extend(entry.state(program) for entry in found.appended)
    return merged
