"""Sending a letter: render (pure), store both forms content-addressed, record LetterSent."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from infra.appender import AppendResult, append_planned
from infra.clock import utc_now
from schemas.events import LetterSent
from schemas.letters import render_letter
from schemas.review import plan_letter

if TYPE_CHECKING:
    from infra.runtime import Runtime
    from schemas.jurisdiction import Jurisdiction
    from schemas.program import ProgramBundle
    from schemas.state import StreamState

__all__ = ["send_letter_for"]


def send_letter_for(
    runtime: Runtime,
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    state: StreamState,
    *,
    as_of: datetime,
    flow_run_id: str | None,
) -> AppendResult:
    """Render and store the letter, then record it once for the stream."""
    letter_date = as_of.date()
    rendered = render_letter(bundle, jurisdiction, letter_date)
    markdown_sha = runtime.documents.put(rendered.markdown.encode("utf-8"))
    html_sha = runtime.documents.put(rendered.html.encode("utf-8"))
    spec = bundle.program.letter
    event = LetterSent(
        letter_sha256=markdown_sha,
        html_sha256=html_sha,
        letter_date=letter_date,
        response_due=None if spec is None else spec.response_due,
        delivery="none",
    )
    return append_planned(
        runtime.log,
        state,
        lambda current: plan_letter(current, event),
        time=utc_now(),
        actor=runtime.settings.actor,
        flow_run_id=flow_run_id,
    )
