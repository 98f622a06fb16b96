"""Deadlines, decided purely: when a reminder is due, what it says, and recording it once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from schemas.base.markup import render_markdown_html
from schemas.events.catalog import ReminderQueued, ReminderSent
from schemas.planning.draft import CommitDraft
from schemas.planning.letters import RenderedLetter
from schemas.rules.engine import deadline_passed

if TYPE_CHECKING:
    from schemas.log.state import StreamState
    from schemas.program.definition import Program

__all__ = ["plan_reminder", "reminder_due", "render_reminder"]


def reminder_due(state: StreamState, program: Program, as_of: datetime) -> bool:
    """Whether the one reminder is due: `reminder_after_days` after the letter, no response.

    Only while the response window is open; after `response_due` the decision is due instead.
    """
    spec = program.letter
    letter = state.letter
    if spec is None or spec.reminder_after_days is None or letter is None:
        return False
    if state.response is not None or state.decided or state.reminder is not None:
        return False
    if deadline_passed(program, as_of):
        return False
    return as_of.date() >= letter.letter_date + timedelta(days=spec.reminder_after_days)


def render_reminder(state: StreamState, letter_markdown: str) -> RenderedLetter:
    """The reminder: a short note above the original letter, in Markdown and HTML.

    The letter's Markdown was escaped when it was rendered; the HTML passes no raw HTML.
    """
    letter = state.letter
    if letter is None:
        raise ValueError(f"{state.stream.name}: no letter to remind of")
    due = f" by **{letter.response_due.isoformat()}**" if letter.response_due else ""
    markdown = (
        f"**Reminder.** We have not yet received your response to our letter of "
        f"{letter.letter_date.isoformat()}. Please respond{due}. The letter follows.\n\n"
        f"---\n\n{letter_markdown}"
    )
    return RenderedLetter(markdown=markdown, html=render_markdown_html(markdown))


def plan_reminder(
    state: StreamState,
    program: Program,
    as_of: datetime,
    event: ReminderQueued | ReminderSent,
) -> CommitDraft | None:
    """One reminder per stream: pin it in the outbox, then record it as sent.

    Recording a reminder already queued (so possibly mailed) needs no new due check:
    a response that arrived meanwhile does not unsend the mail.
    """
    if state.reminder is not None:
        return None
    if isinstance(event, ReminderQueued):
        if state.reminder_queued is not None or not reminder_due(state, program, as_of):
            return None
        return CommitDraft("reminder-queued", (event,))
    if state.reminder_queued is None and not reminder_due(state, program, as_of):
        return None
    return CommitDraft("reminder", (event,))
