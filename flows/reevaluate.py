"""The reevaluation flow: every decided stream evaluated again, revised where it changed."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from prefect import flow
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows._chunks import chunked
from infra.clock import utc_now
from infra.logging import get_logger
from infra.runtime import get_runtime
from infra.state_index import LoadedStates
from schemas.canonical import sha256_hex
from schemas.events import ReevaluationCompleted
from schemas.jurisdiction import Jurisdiction
from schemas.program import ProgramBundle
from schemas.reevaluation import RevisionStatus, StreamReevaluation, outcomes_document, run_record
from schemas.state import StreamState
from tasks.checkpoints import checkpoint_heads
from tasks.programs import store_program_document
from tasks.reevaluation import (
    append_run_record,
    read_stream_states,
    reevaluate_chunk,
    store_outcomes,
    write_state_index,
)
from tasks.registry import select_jurisdictions
from tasks.streams import StreamOutcome

__all__ = [
    "PARALLEL_CHUNKS",
    "ReevaluationReport",
    "appended_outcomes",
    "build_report",
    "progress_hook",
    "reevaluate",
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


def _quoted(value: T) -> T:
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
    futures = [
        reevaluate_chunk.submit(
            program,
            _quoted(chunk),
            as_of,
            known_at,
            dry_run=dry_run,
            writers=writers,
            flow_run_id=flow_run_id,
        )
        for chunk in chunked(pairs, smallest=100, largest=500)
    ]
    results: list[StreamReevaluation] = []
    appended: list[StreamState] = []
    last = [0]
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


@flow(
    name="reevaluate",
    persist_result=False,
    log_prints=False,
    task_runner=cast("Any", ThreadPoolTaskRunner(max_workers=PARALLEL_CHUNKS)),
)
def reevaluate(
    program: str,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    *,
    dry_run: bool = False,
) -> ReevaluationReport:
    """Evaluate every decided stream of a program again and revise decisions that changed.

    Appends `grantreview.decision.revised` only where the outcome or the reasons change,
    reports (never revises) overridden decisions, and appends one
    `grantreview.reevaluation.completed` run record citing the stored outcome list.
    `dry_run` writes nothing: the counterfactual tool. `as_of` defaults to now and
    `known_at` to `as_of`.
    """
    started = time.perf_counter()
    moment = as_of or utc_now()
    knowledge = known_at or moment
    runtime = get_runtime()
    bundle = runtime.program(program)
    run_id = flow_run.get_id() or f"local-{uuid.uuid4().hex}"
    flow_run_id = flow_run.get_id()
    if not dry_run:
        store_program_document(program)
    registry = {row.slug: row for row in select_jurisdictions(None)}
    loaded = read_stream_states(program)
    pairs = [(state, registry.get(slug)) for slug, state in loaded.states.items()]
    results, appended = revise_all(
        program, pairs, moment, knowledge, dry_run=dry_run, flow_run_id=flow_run_id
    )
    document = outcomes_document(bundle, results)
    digest = sha256_hex(document) if dry_run else store_outcomes(document)
    record = run_record(bundle, results, as_of=moment, known_at=knowledge, outcomes_sha256=digest)
    run_seq: int | None = None
    if not dry_run:
        runs = append_run_record(loaded.runs, record, run_id, flow_run_id)
        run_seq = runs.head_seq
        if appended or loaded.refresh_index:
            write_state_index(
                program, _quoted(loaded.states), _quoted(appended), loaded.checkpoint_seq
            )
        checkpoint_heads(
            program, _quoted([*appended_outcomes(appended), *appended_outcomes([runs])])
        )
    report = build_report(
        bundle,
        record,
        results,
        dry_run=dry_run,
        outcomes_sha256=digest,
        run_record_seq=run_seq,
        loaded=loaded,
        seconds=time.perf_counter() - started,
    )
    _log.info(
        "reevaluation_completed",
        program=program,
        dry_run=dry_run,
        seconds=round(report.seconds, 2),
        **report.counts,
    )
    return report
