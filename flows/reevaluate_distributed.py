"""Reevaluation across a work pool: the program's streams split into ranges, one flow run each."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Final, TypeVar, cast

from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

from flows._flow import grant_flow
from flows._reevaluation import ReevaluationReport, appended_outcomes, build_report
from flows.chunks import chunked
from flows.deploy.workpool import RANGE_DEPLOYMENT, wait_for_flow_runs
from infra.platform.clock import utc_now
from infra.platform.heap import long_lived_heap
from infra.platform.logging import get_logger
from infra.runtime import get_runtime
from schemas.planning.reevaluation import outcomes_document, run_record
from tasks.checkpoints import check_checkpoint_chain, checkpoint_heads
from tasks.programs import store_program_document
from tasks.reevaluation import (
    append_run_record,
    gather_range_results,
    read_stream_states,
    store_outcomes,
    write_state_index,
)

__all__ = ["DEFAULT_RANGES", "reevaluate_distributed", "slug_ranges"]

DEFAULT_RANGES: Final = 8
"""Range runs per reevaluation: a few per worker, each thousands of streams (runs cost ~s)."""

_log = get_logger(__name__)
T = TypeVar("T")


def _quoted(value: T) -> T:
    """Hand `value` to a task without Prefect walking it (thousands of states)."""
    return cast("T", quote(value))


def slug_ranges(slugs: list[str], parts: int) -> list[tuple[str, str]]:
    """At most `parts` contiguous (first, last) ranges of the sorted slugs, about equal in size."""
    ordered = sorted(slugs)
    chunks = chunked(ordered, parts=max(1, parts), smallest=1, largest=max(1, len(ordered)))
    return [(chunk[0], chunk[-1]) for chunk in chunks]


@grant_flow("reevaluate-distributed")
def reevaluate_distributed(
    program: str,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    *,
    ranges: int = DEFAULT_RANGES,
    range_deployment: str = RANGE_DEPLOYMENT,
    timeout_seconds: float = 3600.0,
    poll_seconds: float = 2.0,
) -> ReevaluationReport:
    """Reevaluate every decided stream of a program, the work spread over a pool's workers.

    Reads the states once (through the index), pins them as a state snapshot, and starts
    one `reevaluate-range` flow run per range of jurisdictions; whichever worker polls
    first runs it. Once every range run has completed it writes the outcome list, the
    run record and the index exactly as `reevaluate` does. Fails, writing no run record,
    if a range run fails; a rerun repeats no revision (appends are idempotent).
    """
    with long_lived_heap():  # 20,000 states read, pinned and gathered, as in `reevaluate`
        return _distributed(
            program,
            as_of,
            known_at,
            ranges=ranges,
            range_deployment=range_deployment,
            timeout_seconds=timeout_seconds,
            poll_seconds=poll_seconds,
        )


def _distributed(
    program: str,
    as_of: datetime | None,
    known_at: datetime | None,
    *,
    ranges: int,
    range_deployment: str,
    timeout_seconds: float,
    poll_seconds: float,
) -> ReevaluationReport:
    started = time.perf_counter()
    check_checkpoint_chain()
    moment = as_of or utc_now()
    knowledge = known_at or moment
    bundle = get_runtime().program(program)
    flow_run_id = flow_run.get_id()
    run_id = flow_run_id or f"local-{uuid.uuid4().hex}"
    store_program_document(program)
    loaded = read_stream_states(program)
    pinned = loaded.snapshot_sha256
    if pinned is None or loaded.refresh_index:
        pinned = write_state_index(
            program, _quoted(loaded.states), [], loaded.checkpoint_seq, loaded.tlog_batch_seq
        )
    bounds = slug_ranges(list(loaded.states), ranges)
    started_runs = [
        cast(  # sync-compatible: inside a sync flow it returns the flow run
            "FlowRun",
            run_deployment(
                range_deployment,
                parameters={
                    "program": program,
                    "snapshot_sha256": pinned,
                    "first": first,
                    "last": last,
                    "as_of": moment.isoformat(),
                    "known_at": knowledge.isoformat(),
                    "run_id": run_id,
                    "index": index,
                },
                flow_run_name=f"{program}-range-{index + 1}-of-{len(bounds)}",
                idempotency_key=f"{run_id}:range:{index}",
                timeout=0,
                tags=["reevaluation", program],
            ),
        )
        for index, (first, last) in enumerate(bounds)
    ]
    finished = wait_for_flow_runs(
        [run.id for run in started_runs], timeout=timeout_seconds, poll=poll_seconds
    )
    failed = [run.name for run in finished if run.state is None or not run.state.is_completed()]
    if failed:
        raise RuntimeError(f"range runs did not complete: {', '.join(sorted(failed))}")
    merged = gather_range_results(program, run_id, len(bounds))
    results, appended = merged.results, merged.appended
    digest = store_outcomes(outcomes_document(bundle, results))
    record = run_record(bundle, results, as_of=moment, known_at=knowledge, outcomes_sha256=digest)
    runs = append_run_record(loaded.runs, record, run_id, flow_run_id)
    if appended:
        write_state_index(
            program,
            _quoted(loaded.states),
            _quoted(appended),
            loaded.checkpoint_seq,
            loaded.tlog_batch_seq,
        )
    checkpoint_heads(program, _quoted([*appended_outcomes(appended), *appended_outcomes([runs])]))
    report = build_report(
        bundle,
        record,
        results,
        dry_run=False,
        outcomes_sha256=digest,
        run_record_seq=runs.head_seq,
        loaded=loaded,
        seconds=time.perf_counter() - started,
    )
    _log.info(
        "reevaluation_completed",
        program=program,
        ranges=len(bounds),
        seconds=round(report.seconds, 2),
        **report.counts,
    )
    return report
