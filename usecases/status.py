"""Where every review of a program stands, read straight from S3 (no Prefect import)."""

from __future__ import annotations

from typing import Any

from infra.runtime import Runtime
from schemas.evaluation import Outcome
from schemas.state import StreamState
from schemas.streams import StreamId
from usecases.registry import require_imported

__all__ = ["status_rows"]


def _row(state: StreamState) -> dict[str, Any]:
    letter = state.letter
    return {
        "jurisdiction": state.stream.jurisdiction,
        "program": state.stream.program,
        "step": state.step.value,
        "decision": state.effective_decision.value,
        "reasons": list(state.reasons),
        "overridden": state.override is not None,
        "automatic_decision": (state.decision or Outcome.PENDING).value,
        "letter_date": None if letter is None else letter.letter_date.isoformat(),
        "response_due": (
            None
            if letter is None or letter.response_due is None
            else letter.response_due.isoformat()
        ),
        "last_event_time": (
            None if state.last_event_time is None else state.last_event_time.isoformat()
        ),
        "events": state.head_seq + 1,
    }


def status_rows(runtime: Runtime, program: str, slugs: list[str]) -> list[dict[str, Any]]:
    """One row per jurisdiction (all imported ones when `slugs` is empty), sorted by slug.

    The program must be defined (its rules are not parsed: status needs none).
    """
    runtime.require_program(program)
    wanted = sorted(row.slug for row in require_imported(runtime, slugs or None, hint=""))
    states = runtime.log.states(StreamId(program=program, jurisdiction=slug) for slug in wanted)
    return [_row(states[stream]) for stream in sorted(states, key=lambda s: s.jurisdiction)]
