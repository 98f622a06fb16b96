"""The decide flow: evaluate and decide one stream after a response; what the trigger starts."""

from __future__ import annotations

from datetime import datetime

from prefect.runtime import flow_run

from flows._flow import grant_flow
from infra.platform.clock import utc_now
from schemas.base.ids import Slug
from tasks.artifacts import publish_run
from tasks.checkpoints import check_checkpoint_chain, checkpoint_heads
from tasks.decision_events import emit_decision_events
from tasks.programs import store_program_document
from tasks.registry import select_jurisdictions
from tasks.review import advance_streams
from usecases.stream_outcome import StreamOutcome

__all__ = ["decide", "decide_stream"]


def decide_stream(
    program: str, jurisdiction: str, as_of: datetime, known_at: datetime, run_id: str | None
) -> StreamOutcome:
    """The tasks after a response is recorded: decide, publish, emit, checkpoint (with respond)."""
    selected = select_jurisdictions([jurisdiction])
    outcomes = advance_streams(
        program, selected, as_of, known_at, send_letters=False, flow_run_id=run_id
    )
    published = publish_run.submit(program, outcomes)
    emitted = emit_decision_events.submit(program, outcomes)
    checkpoint_heads(program, outcomes)
    published.result()
    emitted.result()
    return outcomes[0]


@grant_flow("decide", run_name="decide-{jurisdiction}")
def decide(
    program: Slug,
    jurisdiction: Slug,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> StreamOutcome:
    """Evaluate the response in force for one jurisdiction and record the decision once.

    Started by the `grantreview.response.received` / `.amended` Prefect events that
    `respond --async` emits; re-running it after the decision appends nothing.

    Args:
        program: The grant program, e.g. psp-2017.
        jurisdiction: The jurisdiction's slug, e.g. stockton-ca.
        as_of: The date the decision is made for; empty means now.
        known_at: Only what was recorded by this time counts; empty means the same as as_of.
    """
    check_checkpoint_chain()
    moment = as_of or utc_now()
    store_program_document(program)
    return decide_stream(program, jurisdiction, moment, known_at or moment, flow_run.get_id())
