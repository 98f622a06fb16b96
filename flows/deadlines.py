"""The deadline sweep: reminders, then no-response decisions; scheduled by `grantreview serve`."""

from __future__ import annotations

from datetime import datetime

from flows._batch import advance_in_chunks
from flows._flow import grant_flow
from infra.platform.clock import utc_now
from schemas.base.ids import Slug
from tasks.deadlines import sweep_deadlines
from tasks.inbox import publish_inbox
from usecases.stream_outcome import StreamOutcome

__all__ = ["deadlines"]


@grant_flow("deadlines", run_name="deadlines-{program}-{date}")
def deadlines(
    program: Slug, as_of: datetime | None = None, known_at: datetime | None = None
) -> list[StreamOutcome]:
    """Send the one reminder that is due and record no-response decisions past the deadline.

    With a review path it also sends every notice still due, a revision notice after a
    reevaluation too (dated the revision, so a later run sends the same bytes).

    Only streams that got a letter are touched. `as_of` defaults to now; re-running with the
    same `as_of` appends nothing. Then what still waits is left as the `inbox-<program>`
    artifact (the list `grantreview inbox` prints).

    Args:
        program: The grant program whose deadlines are swept, e.g. psp-2017.
        as_of: The date deadlines are checked against; empty means now.
        known_at: Only what was recorded by this time counts; empty means the same as as_of.
    """
    moment = as_of or utc_now()
    outcomes = advance_in_chunks(sweep_deadlines, program, None, moment, known_at or moment)
    publish_inbox(program, as_of)
    return outcomes
