"""Letters and reminders: render (pure), store content-addressed, queue, mail, record once.

Without GRANTREVIEW_SMTP_URL a letter is recorded as `delivery: none` straight away.
With it, the mail goes through an outbox in the stream itself: `*.queued` (content,
recipient and a deterministic Message-ID) is appended before SMTP delivery and
`*.sent` after it. A run that crashes between the two finds the queued entry on retry
and mails the same bytes under the same Message-ID again, so a receiver that dedupes
on Message-ID holds exactly one copy (see docs/ARCHITECTURE.md, "Letters exactly once").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from infra.eventlog.appender import AppendResult, append_planned
from infra.outbox import smtp
from infra.platform.clock import utc_now
from infra.platform.logging import get_logger
from schemas.events.catalog import LetterQueued, LetterSent, ReminderQueued, ReminderSent
from schemas.planning.deadlines import plan_reminder, reminder_due, render_reminder
from schemas.planning.letters import render_letter
from schemas.planning.review import delivery_id, plan_letter, plan_letter_queued

if TYPE_CHECKING:
    from infra.runtime import Runtime
    from schemas.log.state import StreamState
    from schemas.planning.draft import CommitDraft
    from schemas.program.definition import ProgramBundle
    from schemas.program.jurisdiction import Jurisdiction

__all__ = ["StreamWriter", "send_letter_for", "send_reminder_for", "smtp_config", "stored_text"]

_log = get_logger(__name__)


def smtp_config(runtime: Runtime) -> smtp.SmtpConfig | None:
    """The SMTP configuration, or None when no mail delivery is configured."""
    url = runtime.settings.smtp_url
    return None if url is None else smtp.SmtpConfig.from_url(url.get_secret_value())


def stored_text(runtime: Runtime, sha256: str) -> str:
    """A stored document as text: what an outbox mails is exactly what it pinned."""
    body = runtime.documents.get(sha256)
    if body is None:
        raise RuntimeError(f"stored document {sha256} is missing or altered")
    return body.decode("utf-8")


def _mail(
    runtime: Runtime, config: smtp.SmtpConfig, subject: str, queued: LetterQueued | ReminderQueued
) -> None:
    markdown_sha = (
        queued.letter_sha256 if isinstance(queued, LetterQueued) else queued.reminder_sha256
    )
    smtp.deliver(
        config,
        smtp.Mail(
            sender=config.sender,
            recipient=queued.recipient,
            subject=subject,
            markdown=stored_text(runtime, markdown_sha),
            html=stored_text(runtime, queued.html_sha256),
            message_id=queued.delivery_id,
        ),
    )


class StreamWriter:
    """Appends for one stream, keeping its latest state and whether anything was written."""

    def __init__(
        self,
        runtime: Runtime,
        state: StreamState,
        flow_run_id: str | None,
        actor: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.state = state
        self.flow_run_id = flow_run_id
        self.actor = actor or runtime.settings.actor
        self.written = False

    def append(self, plan: Callable[[StreamState], CommitDraft | None]) -> None:
        """Append what `plan` asks for on the latest state (re-planned after a conflict)."""
        result = append_planned(
            self.runtime.log,
            self.state,
            plan,
            time=utc_now(),
            actor=self.actor,
            flow_run_id=self.flow_run_id,
        )
        self.state, self.written = result.state, self.written or result.written

    def result(self) -> AppendResult:
        """The latest state and whether this writer appended anything."""
        return AppendResult(self.state, written=self.written)


def send_letter_for(
    runtime: Runtime,
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    state: StreamState,
    *,
    as_of: datetime,
    flow_run_id: str | None,
) -> AppendResult:
    """Render and store the letter, mail it if SMTP is configured, and record it once."""
    writer = StreamWriter(runtime, state, flow_run_id)
    if state.letter is not None:
        return writer.result()
    config = smtp_config(runtime)
    spec = bundle.program.letter
    if state.letter_queued is None:
        letter_date = as_of.date()
        rendered = render_letter(bundle, jurisdiction, letter_date)
        markdown_sha = runtime.documents.put(rendered.markdown.encode("utf-8"))
        html_sha = runtime.documents.put(rendered.html.encode("utf-8"))
        due = None if spec is None else spec.due_for(letter_date)
        if config is None:
            sent = LetterSent(
                letter_sha256=markdown_sha,
                html_sha256=html_sha,
                letter_date=letter_date,
                response_due=due,
                delivery="none",
            )
            writer.append(lambda current: plan_letter(current, sent))
            return writer.result()
        queued = LetterQueued(
            letter_sha256=markdown_sha,
            html_sha256=html_sha,
            letter_date=letter_date,
            response_due=due,
            recipient=config.recipient_for(jurisdiction.slug),
            delivery_id=delivery_id(state, "letter", config.domain),
        )
        writer.append(lambda current: plan_letter_queued(current, queued))
    pinned = writer.state.letter_queued
    if writer.state.letter is not None or pinned is None:
        return writer.result()
    if config is None:
        _log.warning("letter_queued_without_smtp", stream=state.stream.name)
        return writer.result()
    _mail(runtime, config, f"{bundle.program.title}: {jurisdiction.name}", pinned)
    recorded = LetterSent(
        letter_sha256=pinned.letter_sha256,
        html_sha256=pinned.html_sha256,
        letter_date=pinned.letter_date,
        response_due=pinned.response_due,
        delivery="smtp",
        recipient=pinned.recipient,
        delivery_id=pinned.delivery_id,
    )
    writer.append(lambda current: plan_letter(current, recorded))
    return writer.result()


def send_reminder_for(
    runtime: Runtime,
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    state: StreamState,
    *,
    as_of: datetime,
    flow_run_id: str | None,
) -> AppendResult:
    """One reminder once it is due, by the same outbox path as the letter."""
    writer = StreamWriter(runtime, state, flow_run_id)
    program = bundle.program
    letter = state.letter
    if letter is None or state.reminder is not None:
        return writer.result()
    if state.reminder_queued is None and not reminder_due(state, program, as_of):
        return writer.result()
    config = smtp_config(runtime)
    if state.reminder_queued is None:
        if config is None:
            sent = ReminderSent(
                letter_sha256=letter.letter_sha256,
                response_due=letter.response_due,
                delivery="none",
            )
            writer.append(lambda current: plan_reminder(current, program, as_of, sent))
            return writer.result()
        rendered = render_reminder(state, stored_text(runtime, letter.letter_sha256))
        queued = ReminderQueued(
            reminder_sha256=runtime.documents.put(rendered.markdown.encode("utf-8")),
            html_sha256=runtime.documents.put(rendered.html.encode("utf-8")),
            letter_sha256=letter.letter_sha256,
            response_due=letter.response_due,
            recipient=config.recipient_for(jurisdiction.slug),
            delivery_id=delivery_id(state, "reminder", config.domain),
        )
        writer.append(lambda current: plan_reminder(current, program, as_of, queued))
    pinned = writer.state.reminder_queued
    if writer.state.reminder is not None or pinned is None:
        return writer.result()
    if config is None:
        _log.warning("reminder_queued_without_smtp", stream=state.stream.name)
        return writer.result()
    _mail(runtime, config, f"Reminder: {program.title}: {jurisdiction.name}", pinned)
    recorded = ReminderSent(
        letter_sha256=pinned.letter_sha256,
        response_due=pinned.response_due,
        delivery="smtp",
        delivery_id=pinned.delivery_id,
    )
    writer.append(lambda current: plan_reminder(current, program, as_of, recorded))
    return writer.result()
