"""The review flow: send letters and decide wherever a step is due, chunk by chunk."""

from __future__ import annotations

from datetime import datetime

from prefect.runtime import flow_run

from flows._chunks import chunked
from flows._flow import grant_flow
from infra.clock import utc_now
from tasks.artifacts import publish_decisions, publish_outcomes
from tasks.checkpoints import checkpoint_heads
from tasks.programs import store_program_document
from tasks.registry import select_jurisdictions
from tasks.streams import StreamOutcome, advance_streams

__all__ = ["review"]


@grant_flow("review")
def review(
    program: str,
    jurisdictions: list[str] | None = None,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> list[StreamOutcome]:
    """Review jurisdictions under a program: letter if none was sent, decision if one is due.

    `jurisdictions` empty or None means every imported jurisdiction. `as_of` is the date the
    review is made for (default now); `known_at` defaults to `as_of`. Letters are mailed
    when GRANTREVIEW_SMTP_URL is set, exactly once per stream through the stream's outbox.
    """
    moment = as_of or utc_now()
    knowledge = known_at or moment
    run_id = flow_run.get_id()
    store_program_document(program)
    selected = select_jurisdictions(jurisdictions or None)
    chunks = chunked(selected)
    futures = [
        advance_streams.submit(
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
