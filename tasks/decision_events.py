"""Decisions as Prefect events (`grantreview.decision.issued`), so an automation can tell someone.

Each carries its stage (`preliminary` or `final`; a program without stages decides finally)
and the award action, so an automation never announces a preliminary result as a decision.
A review that becomes final (a person's determination, an approval, the deadline run or a
review pass closing the answer window) also emits one `grantreview.decision.final`: the
final decision, the award action, the determining official and approvers, the date it is
for and the date it was recorded; what an automation mailing the final notice acts on.

The event log is the record; these events are notifications. Each names the decision as its
resource and the jurisdiction and program as related resources, every one with a readable
`prefect.resource.name`, so the UI's event feed and an automation's message read
"Stockton, CA" and "psp-2017", not raw ids. Emitting is queued by Prefect's events client
(sent in the background, flushed before the process exits): a batch of 400 decisions costs
no request per decision on the run's path.
"""

from __future__ import annotations

from typing import Any, Final

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from infra.runtime import get_runtime
from schemas.base.canonical import format_time
from schemas.base.markup import show_controls
from schemas.log.final_record import FinalRecord
from usecases.stream_outcome import StreamOutcome

__all__ = [
    "DECISION_FINAL",
    "DECISION_ISSUED",
    "LOG_LABEL",
    "decision_event",
    "emit_decision_events",
    "emit_final_event",
    "final_event",
]

DECISION_ISSUED: Final = "grantreview.decision.issued"
"""The Prefect event name; it mirrors the domain event `DecisionIssued`."""
DECISION_FINAL: Final = "grantreview.decision.final"
"""The Prefect event of a review that became final (determination and award action)."""
LOG_LABEL: Final = "grantreview.log"
"""Resource label naming the event log (s3://bucket/prefix); as flows/deploy's triggers match."""


def decision_event(
    program: str, program_title: str, outcome: StreamOutcome, location: str
) -> dict[str, Any]:
    """The keyword arguments of `emit_event` for one decision (pure, so it can be tested)."""
    who = show_controls(outcome.name or outcome.jurisdiction)
    stage = outcome.stage or "final"  # a program without stages decides finally at evaluation
    decision_id = outcome.decision_id or f"{program}.{outcome.jurisdiction}.{outcome.head_seq}"
    return {
        "event": DECISION_ISSUED,
        "resource": {
            "prefect.resource.id": f"grantreview.decision.{decision_id}",
            "prefect.resource.name": f"{who}: {outcome.decision}, {stage} ({program})",
            LOG_LABEL: location,
            # labels an automation's `match` can select on (e.g. only final ineligible ones)
            "grantreview.decision": outcome.decision,
            "grantreview.stage": stage,
            "grantreview.program": program,
        },
        "related": _related(program, program_title, outcome.jurisdiction, who),
        "payload": {
            "program": program,
            "jurisdiction": outcome.jurisdiction,
            "decision": outcome.decision,
            "reasons": list(outcome.reasons),
            "rule_set_version": outcome.rule_set_version,
            "response_sha256": outcome.response_sha256,
            "decision_id": outcome.decision_id,
            "stage": stage,
            "final": stage == "final",
            "award_action": outcome.award_action,
        },
    }


def final_event(  # noqa: PLR0917 - what the event names, each its own value
    program: str,
    program_title: str,
    jurisdiction: str,
    name: str | None,
    final: FinalRecord,
    location: str,
) -> dict[str, Any]:
    """The keyword arguments of `emit_event` for a review that became final (pure)."""
    who = show_controls(name or jurisdiction)
    action = final.award_action or "none"
    return {
        "event": DECISION_FINAL,
        "resource": {
            "prefect.resource.id": f"grantreview.final.{program}.{jurisdiction}.{final.seq}",
            "prefect.resource.name": f"{who}: final {final.decision}, award {action} ({program})",
            LOG_LABEL: location,
            "grantreview.decision": final.decision,
            "grantreview.award_action": action,
            "grantreview.program": program,
        },
        "related": _related(program, program_title, jurisdiction, who),
        "payload": {
            "program": program,
            "jurisdiction": jurisdiction,
            "jurisdiction_name": name,
            "stage": "final",
            "decision": final.decision,
            "award_action": final.award_action,
            "determined_by": final.determined_by,
            "approved_by": list(final.approved_by),
            "decided_for": format_time(final.decided_for),
            "recorded_at": format_time(final.recorded_at),
            "seq": final.seq,
        },
    }


def _related(program: str, title: str, jurisdiction: str, who: str) -> list[dict[str, str]]:
    return [
        {
            "prefect.resource.id": f"grantreview.jurisdiction.{jurisdiction}",
            "prefect.resource.role": "jurisdiction",
            "prefect.resource.name": who,
        },
        {
            "prefect.resource.id": f"grantreview.program.{program}",
            "prefect.resource.role": "program",
            "prefect.resource.name": f"{program}: {show_controls(title)}",
        },
    ]


def _location() -> str:
    settings = get_runtime().settings
    return f"s3://{settings.s3_bucket}/{settings.s3_prefix}"


@task(cache_policy=NO_CACHE, persist_result=False)
def emit_decision_events(program: str, outcomes: list[StreamOutcome]) -> int:
    """Emit one event per decision this run appended (a re-run appends none, emits none).

    A stream this run made final also gets its `grantreview.decision.final`.
    """
    location = _location()
    title = get_runtime().program(program).program.title
    decided = [outcome for outcome in outcomes if outcome.decided_now]
    for outcome in decided:
        emit_event(**decision_event(program, title, outcome, location))
    for outcome in outcomes:
        if outcome.final is not None:
            emit_event(
                **final_event(
                    program, title, outcome.jurisdiction, outcome.name, outcome.final, location
                )
            )
    return len(decided)


@task(cache_policy=NO_CACHE, persist_result=False)
def emit_final_event(program: str, jurisdiction: str, final: FinalRecord) -> None:
    """Emit `grantreview.decision.final` for a final a person's act (or approval) reached."""
    runtime = get_runtime()
    title = runtime.program(program).program.title
    row = runtime.registry().get(jurisdiction)
    name = None if row is None else row.name
    emit_event(**final_event(program, title, jurisdiction, name, final, _location()))
