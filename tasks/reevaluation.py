"""Reevaluation's I/O, one concern per task: read states, revise a chunk, store, record, index."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

from infra.eventlog.appender import append_planned
from infra.eventlog.log import EncodedCommit, WriteOutcome
from infra.index.range_results import RangeResult, read_range_results
from infra.index.state_index import (
    LoadedStates,
    load_states,
    snapshot_states,
    with_heads,
    write_snapshot,
)
from infra.platform.clock import utc_now
from infra.platform.logging import get_logger
from infra.runtime import get_runtime
from schemas.events.catalog import ReevaluationCompleted
from schemas.log.state import StreamState
from schemas.log.state_snapshot import IndexedStream
from schemas.planning.draft import CommitDraft
from schemas.planning.reevaluation import (
    DueRevision,
    StreamReevaluation,
    plan_run_record,
    reevaluate_stream,
)
from schemas.program.definition import ProgramBundle
from tasks._io import io_task

__all__ = [
    "ChunkResult",
    "Encoded",
    "Revisions",
    "append_revisions",
    "append_run_record",
    "gather_range_results",
    "prepare_writer",
    "read_range_states",
    "read_stream_states",
    "store_outcomes",
    "store_range_result",
    "write_commits",
    "write_state_index",
]

_log = get_logger(__name__)


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


class Revisions:
    """Planned revisions, in a box Prefect does not walk (see `Encoded`)."""

    __slots__ = ("items",)

    def __init__(self, items: list[DueRevision]) -> None:
        self.items = items


class Encoded:
    """Encoded commits, in a box Prefect does not walk.

    Prefect walks a task's parameters for futures (lists, dicts, dataclasses, models):
    thousands of items take seconds. `quote` stops that within one process but does not
    survive pickling to a process-pool worker (Prefect 3.9 unpickles it around a tuple).
    """

    __slots__ = ("items",)

    def __init__(self, items: list[EncodedCommit]) -> None:
        self.items = items


@io_task
def prepare_writer() -> None:
    """Build this process's runtime (S3 client, log, signing key) before it writes a chunk.

    A process-pool worker's first task: the pool is started while the flow reads its
    states (`flows._reevaluation.WriterPool`), so the worker's start-up is done on a core
    that is otherwise idle then, not while every core is writing.
    """
    runtime = get_runtime()
    _ = runtime.log, runtime.commit_keys


@io_task
def write_commits(commits: Encoded, *, writers: int) -> list[WriteOutcome]:
    """Write sealed commits with `writers` threads, each only if its key is free.

    The one I/O step of a reevaluation's appends, and all a process-pool worker does:
    the flow seals commits and folds the outcomes, so only strings and bytes cross. Logs
    one line per chunk with its counts and one per commit not written (20,000 lines of a
    national run told nothing the log itself does not).
    """
    log = get_runtime().log
    with ThreadPoolExecutor(max_workers=max(1, min(writers, len(commits.items)))) as pool:
        outcomes = list(pool.map(log.write, commits.items))
    for commit, outcome in zip(commits.items, outcomes, strict=True):
        if outcome is not WriteOutcome.WRITTEN:  # the exceptions, one line each
            _log.info("commit_not_written", key=commit.key, outcome=outcome.value)
    counts = Counter(outcome.value for outcome in outcomes)
    _log.info("commits_written", first=commits.items[0].key if commits.items else None, **counts)
    return outcomes


@io_task
def append_revisions(
    bundle: ProgramBundle,
    revisions: Revisions,
    as_of: datetime,
    known_at: datetime,
    *,
    flow_run_id: str | None = None,
) -> ChunkResult:
    """Append revisions whose streams another writer moved: re-read, plan again, append.

    The slow path after `write_commits` reported a conflict; one stream at a time.
    """
    results: list[StreamReevaluation] = []
    appended: list[StreamState] = []
    for due in revisions.items:
        finding, state = _append_again(bundle, due, as_of, known_at, flow_run_id)
        results.append(finding)
        if state is not None:
            appended.append(state)
    return ChunkResult(results, appended)


def _append_again(
    bundle: ProgramBundle,
    due: DueRevision,
    as_of: datetime,
    known_at: datetime,
    flow_run_id: str | None,
) -> tuple[StreamReevaluation, StreamState | None]:
    """Plan on the stream as it is now and append; the last finding and the state if appended."""
    runtime = get_runtime()
    findings: list[StreamReevaluation] = []

    def plan(current: StreamState) -> CommitDraft | None:
        findings.append(
            reevaluate_stream(current, bundle, due.jurisdiction, as_of=as_of, known_at=known_at)
        )
        return findings[-1].draft

    result = append_planned(
        runtime.log,
        due.state,
        plan,
        time=utc_now(),
        actor=runtime.settings.actor,
        flow_run_id=flow_run_id,
    )
    return replace(findings[-1], draft=None), result.state if result.written else None


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
    tlog_batch_seq: int | None = None,
) -> str:
    """Write the snapshot of the states after this run (a no-op when nothing moved).

    `checkpoint_seq` and `tlog_batch_seq` are `LoadedStates`': the checkpoint and the
    transparency-log batch the states include.
    """
    merged = with_heads(states, appended).values()
    return write_snapshot(
        get_runtime().log,
        program,
        merged,
        checkpoint_seq=checkpoint_seq,
        tlog_batch_seq=tlog_batch_seq,
    )


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
