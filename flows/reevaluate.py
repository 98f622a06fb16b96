"""The reevaluation flow: every decided stream evaluated again, revised where it changed."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from flows._flow import grant_flow
from flows._reevaluation import (
    PARALLEL_CHUNKS,
    Listed,
    ReevaluationReport,
    WriterPool,
    appended_outcomes,
    build_report,
    progress_hook,
    quoted,
    revise_all,
)
from infra.platform.clock import utc_now
from infra.platform.heap import long_lived_heap
from infra.platform.logging import get_logger
from infra.runtime import get_runtime
from schemas.base.canonical import sha256_hex
from schemas.base.ids import Slug
from schemas.planning.reevaluation import outcomes_document, resting_on_uncertain, run_record
from tasks.checkpoints import check_checkpoint_chain, checkpoint_heads
from tasks.programs import store_program_document
from tasks.reevaluation import (
    append_run_record,
    read_stream_states,
    store_outcomes,
    write_state_index,
)
from tasks.registry import select_jurisdictions

__all__ = ["Listed", "ReevaluationReport", "progress_hook", "reevaluate"]

_log = get_logger(__name__)


@grant_flow(
    "reevaluate",
    task_runner=ThreadPoolTaskRunner(max_workers=PARALLEL_CHUNKS),
    run_name="reevaluate-{program}-{date}",
)
def reevaluate(
    program: Slug,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    *,
    dry_run: bool = False,
    uncertain: bool = False,
) -> ReevaluationReport:
    """Evaluate every decided stream of a program again and revise decisions that changed.

    Appends `grantreview.decision.revised` only where the outcome or the reasons change,
    reports (never revises) overridden decisions, and appends one
    `grantreview.reevaluation.completed` run record citing the stored outcome list.
    `dry_run` writes nothing: the counterfactual tool. `as_of` defaults to now and
    `known_at` to `as_of`.

    Args:
        program: The grant program whose decided streams are evaluated again, e.g. psp-2017.
        as_of: The date the evaluation is made for; empty means now.
        known_at: Only what was recorded by this time counts; empty means the same as as_of.
        dry_run: Report what would change and write nothing.
        uncertain: Only decisions whose latest evaluation relied on an uncertain fact.
    """
    with long_lived_heap():  # 20,000 states read, revised and indexed: see the docstring
        return _reevaluate(program, as_of, known_at, dry_run=dry_run, uncertain=uncertain)


def _reevaluate(
    program: Slug,
    as_of: datetime | None,
    known_at: datetime | None,
    *,
    dry_run: bool,
    uncertain: bool,
) -> ReevaluationReport:
    started = time.perf_counter()
    moment = as_of or utc_now()
    knowledge = known_at or moment
    runtime = get_runtime()
    bundle = runtime.program(program)
    run_id = flow_run.get_id() or f"local-{uuid.uuid4().hex}"
    flow_run_id = flow_run.get_id()
    if not dry_run:
        check_checkpoint_chain()
        store_program_document(program)
    registry = {row.slug: row for row in select_jurisdictions(None)}
    with WriterPool(0 if dry_run else len(registry)) as pool:  # started while states are read
        loaded = read_stream_states(program)
        pairs = [(state, registry.get(slug)) for slug, state in loaded.states.items()]
        if uncertain:
            pairs = resting_on_uncertain(pairs)
        results, appended = revise_all(
            program, pairs, moment, knowledge, dry_run=dry_run, flow_run_id=flow_run_id, pool=pool
        )
    # The index snapshot (seconds of JSON and gzip at 20,000 streams) is written while the
    # outcome list, the run record and the checkpoint are: it needs only the states.
    indexed = (
        write_state_index.submit(
            program,
            quoted(loaded.states),
            quoted(appended),
            loaded.checkpoint_seq,
            loaded.tlog_batch_seq,
        )
        if not dry_run and (appended or loaded.refresh_index)
        else None
    )
    document = outcomes_document(bundle, results)
    digest = sha256_hex(document) if dry_run else store_outcomes(document)
    record = run_record(bundle, results, as_of=moment, known_at=knowledge, outcomes_sha256=digest)
    run_seq: int | None = None
    if not dry_run:
        runs = append_run_record(loaded.runs, record, run_id, flow_run_id)
        run_seq = runs.head_seq
        checkpoint_heads(
            program, quoted([*appended_outcomes(appended), *appended_outcomes([runs])])
        )
    if indexed is not None:
        indexed.result()
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
