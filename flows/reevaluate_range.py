"""One range of a distributed reevaluation: a flow run any worker of the pool may pick up."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows._flow import grant_flow
from flows._reevaluation import PARALLEL_CHUNKS, appended_outcomes, revise_all
from infra.platform.heap import long_lived_heap
from infra.platform.logging import get_logger
from tasks.checkpoints import check_checkpoint_chain, checkpoint_heads
from tasks.reevaluation import ChunkResult, read_range_states, store_range_result
from tasks.registry import select_jurisdictions
from usecases.stream_outcome import StreamOutcome

__all__ = ["reevaluate_range"]

_log = get_logger(__name__)


@grant_flow("reevaluate-range", task_runner=ThreadPoolTaskRunner(max_workers=PARALLEL_CHUNKS))
def reevaluate_range(  # noqa: PLR0917 - deployment parameters, passed by name
    program: str,
    snapshot_sha256: str,
    first: str,
    last: str,
    as_of: datetime,
    known_at: datetime,
    run_id: str,
    index: int,
) -> str:
    """Reevaluate the streams `first`..`last` of a pinned state snapshot; leave the findings.

    Started by `reevaluate-distributed` (never by hand): evaluates the range's streams
    as the parent read them, appends revisions exactly as `reevaluate` does, signs a
    checkpoint over its appends, and writes its findings to
    `reevaluations/{program}/{run_id}/{index}.json` for the parent. Returns that key.
    """
    with long_lived_heap():  # the range's states read and revised, as in `reevaluate`
        check_checkpoint_chain()
        flow_run_id = flow_run.get_id()
        states = read_range_states(program, snapshot_sha256, first, last)
        registry = {row.slug: row for row in select_jurisdictions(None)}
        pairs = [(state, registry.get(slug)) for slug, state in sorted(states.items())]
        results, appended = revise_all(
            program, pairs, as_of, known_at, dry_run=False, flow_run_id=flow_run_id
        )
        # Quoted: Prefect does not walk thousands of items looking for futures.
        checkpoint_heads(program, cast("list[StreamOutcome]", quote(appended_outcomes(appended))))
        found = cast("ChunkResult", quote(ChunkResult(results, appended)))
        key = store_range_result(program, run_id, index, (first, last), flow_run_id, found)
        _log.info(
            "reevaluation_range_completed",
            program=program,
            index=index,
            streams=len(pairs),
            revised=len(appended),
        )
        return key
