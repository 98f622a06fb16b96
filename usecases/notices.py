"""Notices of a staged review: render, store content-addressed, queue, mail, record once.

The outbox pattern of letters (usecases/letters.py): `notice.queued` pins the bytes, the
recipient and a deterministic Message-ID before SMTP delivery, `notice.sent` records it
after; a retry after a crash mails the same bytes under the same Message-ID.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from infra.eventlog.appender import AppendResult
from infra.outbox import smtp
from schemas.events.catalog import NoticeQueued, NoticeSent
from schemas.planning.notices import (
    notice_day,
    notice_due,
    notice_template,
    plan_notice,
    render_notice,
)
from schemas.planning.review import delivery_id
from usecases.letters import StreamWriter, smtp_config, stored_text

if TYPE_CHECKING:
    from infra.runtime import Runtime
    from schemas.log.state import StreamState
    from schemas.program.definition import ProgramBundle
    from schemas.program.jurisdiction import Jurisdiction

__all__ = ["send_notice_for"]


def send_notice_for(
    runtime: Runtime,
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    state: StreamState,
    *,
    as_of: datetime,
    flow_run_id: str | None,
    actor: str | None = None,
) -> AppendResult:
    """Send the notice the stream's latest decision, request or revision calls for, once.

    A revision's notice is dated the revision's valid date (`notice_day`), not today, so it
    is the bytes `preview` showed, whichever run sends it.
    """
    wanted = notice_due(state)
    if wanted is None:
        return AppendResult(state, written=False)
    notice_id, kind = wanted
    config = smtp_config(runtime)
    writer = StreamWriter(runtime, state, flow_run_id, actor)

    def append(event: NoticeQueued | NoticeSent) -> None:
        writer.append(lambda current: plan_notice(current, event))

    pinned = state.notice_queued
    if pinned is None or pinned.notice_id != notice_id:
        template = notice_template(state)  # replay renders it again with the same version
        notice_date = notice_day(state, as_of.date())
        rendered, answer_due = render_notice(bundle, jurisdiction, state, notice_date, template)
        markdown_sha = runtime.documents.put(rendered.markdown.encode("utf-8"))
        html_sha = runtime.documents.put(rendered.html.encode("utf-8"))
        if config is None:
            append(
                NoticeSent(
                    notice_id=notice_id,
                    kind=kind,  # type: ignore[arg-type]  # the kind the state asked for
                    notice_sha256=markdown_sha,
                    html_sha256=html_sha,
                    notice_date=notice_date,
                    answer_due=answer_due,
                    delivery="none",
                    template=template,
                )
            )
            return writer.result()
        append(
            NoticeQueued(
                notice_id=notice_id,
                kind=kind,  # type: ignore[arg-type]  # the kind the state asked for
                notice_sha256=markdown_sha,
                html_sha256=html_sha,
                notice_date=notice_date,
                answer_due=answer_due,
                recipient=config.recipient_for(jurisdiction.slug),
                # A Message-ID's left part is a dot-atom: no ':' (final:<id>, determination:<date>).
                delivery_id=delivery_id(
                    state, f"notice-{notice_id.replace(':', '-')}", config.domain
                ),
                template=template,
            )
        )
        pinned = writer.state.notice_queued
    if pinned is None or config is None:
        return writer.result()
    smtp.deliver(
        config,
        smtp.Mail(
            sender=config.sender,
            recipient=pinned.recipient,
            subject=f"{bundle.program.title}: {pinned.kind} notice: {jurisdiction.name}",
            markdown=stored_text(runtime, pinned.notice_sha256),
            html=stored_text(runtime, pinned.html_sha256),
            message_id=pinned.delivery_id,
        ),
    )
    append(
        NoticeSent(
            notice_id=pinned.notice_id,
            kind=pinned.kind,
            notice_sha256=pinned.notice_sha256,
            html_sha256=pinned.html_sha256,
            notice_date=pinned.notice_date,
            answer_due=pinned.answer_due,
            delivery="smtp",
            recipient=pinned.recipient,
            delivery_id=pinned.delivery_id,
            template=pinned.template,
        )
    )
    return writer.result()
