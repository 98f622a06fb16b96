"""`review --dry-run`: what a review would send or decide now, read from the log, writing nothing.

The same pure planner the review runs (`schemas.planning.review.plan_decision`) is asked about each
stream's current state; nothing is appended, no letter is rendered or mailed, no Prefect
run is made. A stream that would get its letter first is shown as such: its decision can
only follow the letter, so it is planned on the next review.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from infra.runtime import Runtime
from schemas.events.catalog import DecisionIssued
from schemas.log.state import StreamState
from schemas.log.streams import StreamId
from schemas.planning.review import plan_decision
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from usecases.letters import smtp_config
from usecases.registry import require_imported

__all__ = ["preview_review"]


def preview_review(
    runtime: Runtime,
    program: str,
    slugs: Sequence[str] | None,
    as_of: datetime,
    known_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """One row per jurisdiction: the step it is at and what the review would do next."""
    bundle = runtime.program(program)
    rows = require_imported(runtime, slugs)
    streams = {row.slug: StreamId(program=program, jurisdiction=row.slug) for row in rows}
    states, refused = runtime.log.trusted_states(streams.values())
    mail = smtp_config(runtime)
    preview: list[dict[str, Any]] = []
    for row in rows:
        stream = streams[row.slug]
        if stream in refused:
            step, would, decision = "refused", "nothing (stream refused)", None
            reasons = [str(refused[stream])]
        else:
            state = states[stream]
            step = state.step.value
            would, decision, reasons = _next(state, bundle, row, as_of, known_at or as_of)
            if would == "send letter":
                to = "stored, not mailed" if mail is None else f"to {mail.recipient_for(row.slug)}"
                would = f"send letter ({to})"
        preview.append(
            {
                "jurisdiction": row.slug,
                "program": program,
                "step": step,
                "would": would,
                "decision": decision,
                "reasons": reasons,
            }
        )
    return preview


def _next(
    state: StreamState,
    bundle: ProgramBundle,
    jurisdiction: Jurisdiction,
    as_of: datetime,
    known_at: datetime,
) -> tuple[str, str, list[str]]:
    """What the review would do next: (action, decision then, its reasons)."""
    decision, reasons = state.effective_decision.value, list(state.reasons)
    if state.letter is None and bundle.program.letter is not None:
        return "send letter", decision, reasons
    draft = plan_decision(state, bundle, jurisdiction, as_of=as_of, known_at=known_at)
    payloads = () if draft is None else draft.payloads
    issued = [payload for payload in payloads if isinstance(payload, DecisionIssued)]
    if not issued:
        return "nothing due", decision, reasons
    outcome = issued[-1]
    return f"decide {outcome.outcome.value}", outcome.outcome.value, list(outcome.reasons)
