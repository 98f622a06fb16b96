"""The review flow: send letters and decide wherever a step is due, chunk by chunk."""

from __future__ import annotations

from datetime import datetime

from flows._batch import advance_in_chunks
from flows._flow import grant_flow
from infra.clock import utc_now
from tasks.acts import start_review_act
from tasks.review import StreamOutcome, advance_streams

__all__ = ["review"]


@grant_flow("review")
def review(  # noqa: PLR0917 - Prefect and Typer pass parameters by name
    program: str,
    jurisdictions: list[str] | None = None,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    actor: str | None = None,
    act: str | None = None,
    signature: str | None = None,
) -> list[StreamOutcome]:
    """Review jurisdictions under a program: letter if none was sent, decision if one is due.

    `jurisdictions` empty or None means every imported jurisdiction. `as_of` is the date the
    review is made for (default now); `known_at` defaults to `as_of`. Letters are mailed
    when GRANTREVIEW_SMTP_URL is set, exactly once per stream through the stream's outbox.
    With a people file in force, `actor`, `act` (from `grantreview review --prepare`) and its
    SSH `signature` are required: the run refuses to start a review nobody signed for.
    """
    start_review_act(program, jurisdictions, actor, act, signature)
    moment = as_of or utc_now()
    return advance_in_chunks(
        advance_streams, program, jurisdictions or None, moment, known_at or moment
    )
