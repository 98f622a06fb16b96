"""Mail a review's final notice to the jurisdiction's contact: what the final's automation runs.

The `mail-final-notice` deployment is started by a Prefect automation on each
`grantreview.decision.final` event (docs/deploy.md). It mails the final notice exactly as
stored and recorded in the log (`notice.sent`, kind `final`) to the mailbox
GRANTREVIEW_SMTP_URL names for the jurisdiction (`to=…{slug}@…`), under a Message-ID derived
from the notice's content: an automation that fires twice mails the same message twice, and
the receiver keeps one. A notice the writer already mailed itself (delivery `smtp`) is not
mailed again, and a review that is not final, or whose final notice is not sent yet, is
refused in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from infra.outbox import smtp
from schemas.base.errors import InputError
from schemas.events.catalog import NoticeSent
from schemas.log.final_record import final_record
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from usecases.letters import smtp_config, stored_text
from usecases.registry import require_imported

if TYPE_CHECKING:
    from infra.runtime import Runtime

__all__ = ["FinalMail", "mail_final_notice"]


@dataclass(frozen=True, slots=True)
class FinalMail:
    """What the handler did (`mailed`, or `already mailed` by the writer), to whom, as what."""

    status: str
    recipient: str | None
    message_id: str | None
    notice_sha256: str


def mail_final_notice(runtime: Runtime, program: str, jurisdiction: str) -> FinalMail:
    """Mail the stream's final notice as recorded; refused (InputError) before it exists."""
    (row,) = require_imported(runtime, [jurisdiction], label="jurisdiction", hint="")
    bundle = runtime.program(program)
    stream = StreamId(program=program, jurisdiction=jurisdiction)
    commits = runtime.log.read_stream(stream)
    state = runtime.log.state(stream)
    if final_record(state) is None:
        raise InputError(f"{program} / {jurisdiction} is not final: no final notice to mail")
    finals = [
        event
        for commit in commits
        for _, event in decoded_events(commit)
        if isinstance(event, NoticeSent) and event.kind == "final"
    ]
    if not finals:
        raise InputError(f"{program} / {jurisdiction}: the final notice is not sent yet")
    notice = finals[-1]
    if notice.delivery == "smtp":  # the writer mailed it: one mail per final, not two
        return FinalMail(
            "already mailed", notice.recipient, notice.delivery_id, notice.notice_sha256
        )
    config = smtp_config(runtime)
    if config is None:
        raise InputError("mailing the final notice needs GRANTREVIEW_SMTP_URL")
    message_id = f"<final-notice.{notice.notice_sha256[:32]}@{config.domain}>"
    recipient = config.recipient_for(jurisdiction)
    smtp.deliver(
        config,
        smtp.Mail(
            sender=config.sender,
            recipient=recipient,
            subject=f"{bundle.program.title}: final notice: {row.name}",
            markdown=stored_text(runtime, notice.notice_sha256),
            html=stored_text(runtime, notice.html_sha256),
            message_id=message_id,
        ),
    )
    return FinalMail("mailed", recipient, message_id, notice.notice_sha256)
