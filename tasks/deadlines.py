"""The deadline sweep over a chunk of streams: reminders, then no-response decisions."""

from __future__ import annotations

from datetime import datetime

from schemas.program.jurisdiction import Jurisdiction
from tasks._io import io_task
from tasks.review import Pass, advance_chunk
from usecases.stream_outcome import StreamOutcome

__all__ = ["sweep_deadlines"]


@io_task
def sweep_deadlines(
    program: str,
    jurisdictions: list[Jurisdiction],
    as_of: datetime,
    known_at: datetime,
    *,
    flow_run_id: str | None = None,
    share: int = 1,
) -> list[StreamOutcome]:
    """For each stream with a letter: one reminder once due, the no-response decision once late.

    Idempotent (the outbox and the idempotency keys make a retry safe); streams that never
    got a letter are left alone.
    """
    return advance_chunk(
        program,
        jurisdictions,
        as_of,
        known_at,
        steps=Pass.DEADLINES,
        flow_run_id=flow_run_id,
        share=share,
    )
