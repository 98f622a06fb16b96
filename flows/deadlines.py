"""The deadline sweep: reminders, then no-response decisions; scheduled by `grantreview serve`."""

from __future__ import annotations

from datetime import datetime

from prefect.runtime import flow_run

from flows._chunks import chunked
from flows._flow import grant_flow
from infra.clock import utc_now
from tasks.artifacts import publish_decisions, publish_outcomes
from tasks.checkpoints import checkpoint_heads
from tasks.deadlines import sweep_deadlines
from tasks.programs import store_program_document
from tasks.registry import select_jurisdictions
from tasks.streams import StreamOutcome

__all__ = ["deadlines"]


@grant_flow("deadlines")
def deadlines(
    program: str, as_of: datetime | None = None, known_at: datetime | None = None
) -> list[StreamOutcome]:
    """Send the one reminder that is due and record no-response decisions past the deadline.

    Only streams that got a letter are touched. `as_of` defaults to now; re-running with the
    same `as_of` appends nothing.
    """
    moment = as_of or utc_now()
    knowledge = known_at or moment
    run_id = flow_run.get_id()
    store_program_document(program)
    selected = select_jurisdictions(None)
    chunks = chunked(selected)
    futures = [
        sweep_deadlines.submit(
            program, chunk, moment, knowledge, flow_run_id=run_id, share=len(chunks)
        )
        for chunk in chunks
    ]
    outcomes = [outcome for future in futures for outcome in future.result()]
    table = publish_outcomes.submit(program, outcomes)
    notes = publish_decisions.submit(program, outcomes)
    checkpoint_heads(program, outcomes)
    table.result()
    notes.result()
    return outcomes
