"""Where every review of a program stands, read straight from S3 (no Prefect import).

A damaged stream (an object that does not parse or does not chain) is one row marked
`damaged` with the reason; every other stream is listed as usual (issue #13, H3).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from infra.platform.clock import utc_now
from infra.runtime import Runtime
from schemas.log.state import StreamState
from schemas.log.streams import StreamId
from schemas.planning.stages import pending_reason, review_step
from schemas.program.review_path import Stage
from schemas.rules.evaluation import Outcome
from usecases.proposals import pending_acts
from usecases.registry import require_imported

if TYPE_CHECKING:
    from schemas.program.definition import Program

__all__ = ["DAMAGED", "awaiting_approval", "status_rows"]

DAMAGED = "damaged"
"""The `step` and `decision` of a stream that cannot be read; `damaged` says why."""


def _row(state: StreamState, program: Program, as_of: datetime) -> dict[str, Any]:
    letter = state.letter
    due = state.due if state.decided or state.letter is not None else None
    return {
        "jurisdiction": state.stream.jurisdiction,
        "program": state.stream.program,
        "step": review_step(state, program, as_of).value,
        "stage": _stage(state),
        "due": None if due is None else due.isoformat(),
        "late": state.late,
        "award_action": state.award_action,
        "pending_reason": pending_reason(state, program, as_of),
        "decision": state.effective_decision.value,
        "reasons": list(state.reasons),
        "overridden": state.override is not None,
        "automatic_decision": (state.decision or Outcome.PENDING).value,
        "decided_for": _iso(state.decided_for),
        "recorded_on": _iso(state.decision_recorded),
        "letter_date": None if letter is None else letter.letter_date.isoformat(),
        "response_due": (
            None
            if letter is None or letter.response_due is None
            else letter.response_due.isoformat()
        ),
        "last_event_time": _iso(state.last_event_time),
        "events": state.head_seq + 1,
        "uncertain_facts": _uncertain_facts(state),
        "damaged": None,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _uncertain_facts(state: StreamState) -> list[dict[str, Any]]:
    """The uncertain facts the latest evaluation relied on, each with its line to show."""
    evaluation = state.evaluation
    if evaluation is None:
        return []
    return [
        fact.model_dump(mode="json") | {"text": fact.describe()}
        for fact in evaluation.uncertain_facts
    ]


def _damaged_row(stream: StreamId, error: Exception) -> dict[str, Any]:
    """The same fields, nothing claimed about the review: the stream must be audited."""
    return {
        "jurisdiction": stream.jurisdiction,
        "program": stream.program,
        "step": DAMAGED,
        "stage": None,
        "due": None,
        "late": False,
        "award_action": None,
        "pending_reason": None,
        "decision": DAMAGED,
        "reasons": [str(error)],
        "overridden": False,
        "automatic_decision": DAMAGED,
        "decided_for": None,
        "recorded_on": None,
        "letter_date": None,
        "response_due": None,
        "last_event_time": None,
        "events": None,
        "uncertain_facts": [],
        "damaged": str(error),
    }


def _stage(state: StreamState) -> str | None:
    if state.stage is not None:
        return state.stage.value
    return Stage.FINAL.value if state.decided else None


def status_rows(
    runtime: Runtime,
    program: str,
    slugs: list[str],
    as_of: datetime | None = None,
    *,
    uncertain: bool = False,
) -> list[dict[str, Any]]:
    """One row per jurisdiction (all imported ones when `slugs` is empty), sorted by slug.

    The program is read for its review path (where a stream waits, and why). A damaged
    stream's row has `damaged` set (else None); the caller exits 1 if any is. `uncertain`
    keeps only decisions resting on an uncertain fact (and damaged streams, never hidden).
    """
    bundle = runtime.program(program)
    moment = as_of or utc_now()
    wanted = sorted(row.slug for row in require_imported(runtime, slugs or None, hint=""))
    streams = [StreamId(program=program, jurisdiction=slug) for slug in wanted]
    states, damaged = runtime.log.trusted_states(streams)
    rows = [
        _row(states[stream], bundle.program, moment)
        if stream in states
        else _damaged_row(stream, damaged[stream])
        for stream in streams
    ]
    if uncertain:
        rows = [row for row in rows if row["uncertain_facts"] or row["damaged"]]
    waiting = awaiting_approval(runtime, program)
    for row in rows:
        mine = [item for item in waiting if row["jurisdiction"] in item["subjects"]]
        if mine:
            row["awaiting_approval"] = mine
    return rows


def awaiting_approval(runtime: Runtime, program: str) -> list[dict[str, Any]]:
    """Acts of `program` proposed and not yet approved or rejected: what, by whom, how far."""
    return [
        {
            "act_id": act_id,
            "type": found.proposal.act.type.value,
            "subjects": list(found.proposal.act.subjects),
            "proposed_by": found.proposal.act.actor,
            "approved_by": found.approvers,
            "people_needed": found.needed,
        }
        for act_id, found in pending_acts(runtime, program).items()
    ]
