"""The review flow: send letters and decide wherever a step is due, chunk by chunk."""

from __future__ import annotations

from datetime import datetime

from flows._batch import advance_in_chunks
from flows._flow import grant_flow
from flows._refusal import refused
from infra.platform.clock import utc_now
from schemas.base.errors import InputError
from schemas.base.ids import Slug
from tasks.acts import check_review_start, start_review_act
from tasks.review import advance_streams
from usecases.stream_outcome import StreamOutcome

__all__ = ["review"]


@grant_flow("review", run_name="review-{program}-{date}")
def review(  # noqa: PLR0917 - Prefect and Typer pass parameters by name
    program: Slug,
    jurisdictions: list[Slug] | None = None,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    actor: str | None = None,
    act: str | None = None,
    signature: str | None = None,
) -> list[StreamOutcome]:
    """Review jurisdictions under a program: letter if none was sent, decision if one is due.

    Letters are mailed when GRANTREVIEW_SMTP_URL is set, exactly once per stream through the
    stream's outbox. The run shows one summary artifact: counts and what changed.

    Args:
        program: The grant program to review under, e.g. psp-2017.
        jurisdictions: Jurisdiction slugs (lowercase letters, digits, inner hyphens, such as
            stockton-ca); leave empty to review every imported jurisdiction.
        as_of: The date the review is made for; empty means now.
        known_at: Only what was recorded by this time counts; empty means the same as as_of.
        actor: Your id in the people file; required, with act and signature, when a people
            file is in force (the run refuses to start a review nobody signed for).
        act: The act prepared for this review, as signed: the text `grantreview review -p
            PROGRAM [SLUG ...] --prepare` printed.
        signature: Your SSH signature of the act: the text `grantreview sign act.json` (or
            ssh-keygen -Y sign -n grantreview -f KEY act.json) printed.
    """
    try:  # in the flow itself: a task's failure would log its traceback in the run's logs
        check_review_start(program, jurisdictions, actor, act, signature)
    except InputError as error:  # an unsigned or refused start: one line, nothing written
        return refused(error)  # type: ignore[no-any-return] # Prefect's Failed state ends the run
    start_review_act(program, jurisdictions, actor, act, signature)
    moment = as_of or utc_now()
    return advance_in_chunks(
        advance_streams, program, jurisdictions or None, moment, known_at or moment
    )
