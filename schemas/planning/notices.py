"""Notices to a jurisdiction in a staged review: rendered purely, Markdown and HTML.

A notice tells the outcome of a preliminary or final decision (every unmet condition with
its plain-language reason, and the date by which the jurisdiction may answer) or a request
for information. The program may give its own Jinja2 template (`review.notice_template`);
every value is Markdown-escaped, as in letters.

Replay renders every notice again and compares it byte for byte, so a template that
changes is a new version and old notices keep theirs: each notice event records the
`template` it was rendered with. Version 1 is the first; version 2, used for finals only,
states the award action, the determining official (and approvers) and both dates (decided
for, recorded on). Under version 2 a program's own template gets `final` (a `FinalRecord`)
and is followed by those facts (`FINAL_FACTS`), so every final notice states them.

A revision notice (kind `revision`, template version 1) tells that a reevaluation revised the
decision: `REVISION_NOTICE`, rendered from the program, the jurisdiction and the revision
alone (`revision_markdown`), dated the revision's valid date, so a preview renders the bytes
the review pass later sends. A program's own template gets `kind == "revision"` and
`revision` (a `schemas.log.revision.Revision`) for it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from schemas.base.errors import InputError
from schemas.base.markup import render_markdown_html
from schemas.events.catalog import NoticeSent
from schemas.log.final_record import final_record
from schemas.planning.draft import CommitDraft
from schemas.planning.letters import RenderedLetter, compile_template, template_failure
from schemas.program.template_budget import done, rendering

if TYPE_CHECKING:
    from schemas.events.catalog import NoticeQueued
    from schemas.log.revision import Revision
    from schemas.log.state import StreamState
    from schemas.program.definition import ProgramBundle
    from schemas.program.jurisdiction import Jurisdiction

__all__ = [
    "DEFAULT_NOTICE",
    "FINAL_FACTS",
    "FINAL_NOTICE_V2",
    "REVISION_NOTICE",
    "notice_day",
    "notice_due",
    "notice_markdown",
    "notice_template",
    "plan_notice",
    "render_notice",
    "revision_markdown",
]

DEFAULT_NOTICE = """\
{{ notice_date.isoformat() }}

To: {{ jurisdiction.name }}

Re: {{ program.title }}: {{ kind }} notice

{% if kind == "information" %}Please answer the following questions again{% if answer_due %} \
by {{ answer_due.isoformat() }}{% endif %}: {{ reasons | join(", ") }}.
{% else %}The {{ kind }} decision is: **{{ outcome }}**.

{% for reason in reasons %}- {{ reason }}
{% endfor %}
{% if answer_due %}You may answer, with any further evidence, by {{ answer_due.isoformat() }}.\
{% endif %}{% endif %}
"""


FINAL_FACTS = """\
Award action: **{{ final.award_action or "none" }}**.

{% if final.determined_by %}Determined by: {{ final.determined_by }}\
{% if final.approved_by %}, approved by {{ final.approved_by | join(", ") }}{% endif %}.
{% else %}Determined automatically when the time to answer ran out (no person acted).
{% endif %}
Decided for: {{ final.decided_for.date().isoformat() }}. \
Recorded on: {{ final.recorded_at.date().isoformat() }}.
"""
"""What every final notice of template version 2 states, after a program's own template too."""

FINAL_NOTICE_V2 = (
    """\
{{ notice_date.isoformat() }}

To: {{ jurisdiction.name }}

Re: {{ program.title }}: final notice

The final decision is: **{{ outcome }}**.

"""
    + FINAL_FACTS
    + """
{% for reason in reasons %}- {{ reason }}
{% endfor %}"""
)
"""The default final notice, template version 2 (version 1 is `DEFAULT_NOTICE`)."""


REVISION_NOTICE = """\
{{ notice_date.isoformat() }}

To: {{ jurisdiction.name }}

Re: {{ program.title }}: revised decision

The decision in your review has been revised: it is now **{{ revision.after.value }}** \
(it was {{ revision.before.value }}).
{% if revision.reasons %}
{% for reason in revision.reasons %}- {{ reason }}
{% endfor %}{% endif %}
{% if revision.orders_applied %}Court orders applied: {{ revision.orders_applied | join(", ") }}.

{% endif %}{% if revision.award_action %}Award action: **{{ revision.award_action }}**.

{% endif %}Decided for: {{ revision.as_of.date().isoformat() }}.
"""
"""The default revision notice (template version 1)."""


def notice_template(state: StreamState) -> int:
    """The template version a notice due now is rendered with: 2 for a final, else 1."""
    wanted = notice_due(state)
    if wanted is None or wanted[1] != "final" or final_record(state) is None:
        return 1
    return 2


def notice_due(state: StreamState) -> tuple[str, str] | None:
    """(notice id, kind) of the notice still to send, or None."""
    wanted = state.notice_wanted
    if wanted is None or wanted[0] in state.notices_sent:
        return None
    return wanted


def notice_day(state: StreamState, today: date) -> date:
    """The date a notice due now bears: a revision's valid date, else the sending day."""
    wanted = notice_due(state)
    if wanted is not None and wanted[1] == "revision" and state.revision is not None:
        return state.revision.as_of.date()
    return today


def render_notice(
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    state: StreamState,
    notice_date: date,
    template: int | None = None,
) -> tuple[RenderedLetter, date | None]:
    """The notice the stream's latest decision or request calls for, and its answer date.

    `template` is the version to render with (replay passes the recorded one); None: the
    version a new notice gets (`notice_template`).
    """
    markdown, answer_due = notice_markdown(bundle, jurisdiction, state, notice_date, template)
    return RenderedLetter(markdown=markdown, html=render_markdown_html(markdown)), answer_due


def notice_markdown(
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    state: StreamState,
    notice_date: date,
    template: int | None = None,
) -> tuple[str, date | None]:
    """The notice's Markdown alone (a preview's draft needs no HTML), and its answer date."""
    version = notice_template(state) if template is None else template
    final = final_record(state) if version >= 2 else None  # noqa: PLR2004 - template version
    wanted = notice_due(state)
    if wanted is None:
        raise ValueError(f"{state.stream.name}: no notice is due")
    kind = wanted[1]
    if kind == "revision":
        if state.revision is None:
            raise ValueError(f"{state.stream.name}: a revision notice is due but no revision")
        return revision_markdown(bundle, jurisdiction, state.revision, notice_date), None
    if kind == "information" and state.information is not None:
        reasons: tuple[str, ...] = state.information.questions
        outcome, answer_due = "", state.information_due
    else:
        outcome = state.effective_decision.value
        reasons = state.reasons
        if state.determination is not None:
            reasons = (state.determination.reason,)
        answer_due = state.answer_due if kind == "preliminary" else None
    review = bundle.program.review
    source = DEFAULT_NOTICE if final is None else FINAL_NOTICE_V2
    facts = ""  # a program's own template: the final's facts follow it (version 2)
    if review is not None and review.notice_template is not None:
        source = bundle.files[review.notice_template]
        facts = "" if final is None else "\n" + FINAL_FACTS
    values = {} if final is None else {"final": final}  # version 1 renders as it always did
    markdown = _render(
        bundle,
        source + facts,
        jurisdiction=jurisdiction,
        program=bundle.program,
        kind=kind,
        outcome=outcome,
        reasons=reasons,
        answer_due=answer_due,
        notice_date=notice_date,
        **values,
    )
    return markdown, answer_due


def revision_markdown(
    bundle: ProgramBundle, jurisdiction: Jurisdiction, revision: Revision, notice_date: date
) -> str:
    """A revision notice's Markdown, from the revision alone (the sender's and preview's).

    `notice_date` is the revision's valid date when sent (`notice_day`), never the sending
    day, so a preview and the review pass that sends it render the same bytes.
    """
    review = bundle.program.review
    source = REVISION_NOTICE
    if review is not None and review.notice_template is not None:
        source = bundle.files[review.notice_template]
    return _render(
        bundle,
        source,
        jurisdiction=jurisdiction,
        program=bundle.program,
        kind="revision",
        outcome=revision.after.value,
        reasons=revision.reasons,
        answer_due=None,
        notice_date=notice_date,
        revision=revision,
    )


def _render(bundle: ProgramBundle, source: str, **values: object) -> str:
    """Render a notice template under the budget; whatever it raises is the program's fault."""
    token = rendering()
    try:
        return compile_template(source).render(**values)
    except Exception as error:  # noqa: BLE001 - a template is data: whatever it raises is its fault
        detail = template_failure(error)
        raise InputError(
            f"program {bundle.program.id!r}: notice template failed: {detail}"
        ) from None
    finally:
        done(token)


def plan_notice(state: StreamState, event: NoticeQueued | NoticeSent) -> CommitDraft | None:
    """Pin the notice in the outbox, then record it sent: once per notice id."""
    wanted = notice_due(state)
    if wanted is None or event.notice_id != wanted[0]:
        return None
    if isinstance(event, NoticeSent):
        return CommitDraft(f"notice:{event.notice_id}", (event,))
    if state.notice_queued is not None and state.notice_queued.notice_id == event.notice_id:
        return None
    return CommitDraft(f"notice-queued:{event.notice_id}", (event,))
