"""Shared steps of the reevaluation flows: chunked revision, the report, progress."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar, cast

from prefect.futures import as_completed
from prefect.utilities.annotations import quote

from flows._chunks import chunked
from infra.heap import long_lived_heap
from infra.logging import get_logger
from infra.runtime import get_runtime
from infra.state_index import LoadedStates
from schemas.events import ReevaluationCompleted
from schemas.jurisdiction import Jurisdiction
from schemas.program import ProgramBundle
from schemas.reevaluation import RevisionStatus, StreamReevaluation
from schemas.state import StreamState
from tasks.reevaluation import (
    reevaluate_chunk,
)
from tasks.streams import StreamOutcome

__all__ = [
    "PARALLEL_CHUNKS",
    "ReevaluationReport",
    "appended_outcomes",
    "build_report",
    "progress_hook",
    "quoted",
    "revise_all",
]

PARALLEL_CHUNKS = 4
"""Chunk tasks in flight at once; each appends with s3_max_workers / PARALLEL_CHUNKS threads."""

progress_hook: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "reevaluation_progress", default=None
)
"""Set by the CLI on a terminal to draw a progress bar: called with (streams done, total)."""

_log = get_logger(__name__)
T = TypeVar("T")


def quoted(value: T) -> T:
    """Hand `value` to a task without Prefect walking it (visiting 20,000 states costs seconds)."""
    return cast("T", quote(value))


@dataclass(frozen=True)
class ReevaluationReport:
    """What a run found and wrote: counts, every change, every overridden difference."""

    program: str
    as_of: datetime
    known_at: datetime
    dry_run: bool
    program_sha256: str
    rule_set_version: int | None
    counts: dict[str, int]
    changes: list[StreamReevaluation]
    overridden: list[StreamReevaluation]
    outcomes_sha256: str
    run_record_seq: int | None
    index: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _report_progress(done: int, total: int, last: list[int]) -> None:
    hook = progress_hook.get()
    if hook is not None:
        hook(done, total)
    elif done == total or done - last[0] >= max(1, total // 10):
        last[0] = done
        _log.info("reevaluation_progress", done=done, total=total)


def revise_all(
    program: str,
    pairs: list[tuple[StreamState, Jurisdiction | None]],
    as_of: datetime,
    known_at: datetime,
    *,
    dry_run: bool,
    flow_run_id: str | None,
) -> tuple[list[StreamReevaluation], list[StreamState]]:
    """Evaluate and revise `pairs` in `reevaluate_chunk` tasks, PARALLEL_CHUNKS at a time.

    Called inside a flow whose task runner is a `ThreadPoolTaskRunner`; returns every
    finding and the states of the streams appended to.
    """
    writers = max(1, get_runtime().settings.s3_max_workers // PARALLEL_CHUNKS)
    results: list[StreamReevaluation] = []
    appended: list[StreamState] = []
    last = [0]
    with long_lived_heap():
        futures = [
            reevaluate_chunk.submit(
                program,
                quoted(chunk),
                as_of,
                known_at,
                dry_run=dry_run,
                writers=writers,
                flow_run_id=flow_run_id,
            )
            for chunk in chunked(pairs, smallest=100, largest=500)
        ]
        for future in as_completed(futures):
            chunk_result = future.result()
            results.extend(chunk_result.results)
            appended.extend(chunk_result.appended)
            _report_progress(len(results), len(pairs), last)
    return results, appended


def build_report(
    bundle: ProgramBundle,
    record: ReevaluationCompleted,
    results: list[StreamReevaluation],
    *,
    dry_run: bool,
    outcomes_sha256: str,
    run_record_seq: int | None,
    loaded: LoadedStates,
    seconds: float,
) -> ReevaluationReport:
    """The report of a run from its findings and run record."""
    counts = Counter(result.status.value for result in results)
    return ReevaluationReport(
        program=bundle.program.id,
        as_of=record.as_of,
        known_at=record.known_at,
        dry_run=dry_run,
        program_sha256=bundle.sha256,
        rule_set_version=record.rule_set_version,
        counts={status.value: counts.get(status.value, 0) for status in RevisionStatus},
        changes=sorted(
            (r for r in results if r.status is RevisionStatus.REVISED),
            key=lambda r: r.jurisdiction,
        ),
        overridden=sorted(
            (r for r in results if r.status is RevisionStatus.OVERRIDDEN),
            key=lambda r: r.jurisdiction,
        ),
        outcomes_sha256=outcomes_sha256,
        run_record_seq=run_record_seq,
        index={"indexed": loaded.indexed, "moved": loaded.moved, "read_fully": loaded.read_fully},
        seconds=seconds,
    )


def appended_outcomes(states: list[StreamState]) -> list[StreamOutcome]:
    """Appended streams' heads in the form `checkpoint_heads` takes."""
    return [
        StreamOutcome(
            jurisdiction=state.stream.jurisdiction,
            step=state.step.value,
            decision=state.effective_decision.value,
            reasons=state.reasons,
            appended=1,
            head_seq=state.head_seq,
            head_hash=state.head_hash,
        )
        for state in states
    ]
