"""Decisions as Prefect events (`grantreview.decision.issued`), so an automation can tell someone.

Each carries its stage (`preliminary` or `final`; a program without stages decides finally)
and the award action, so an automation never announces a preliminary result as a decision.

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
from schemas.base.markup import show_controls
from usecases.stream_outcome import StreamOutcome

__all__ = ["DECISION_ISSUED", "LOG_LABEL", "decision_event", "emit_decision_events"]

DECISION_ISSUED: Final = "grantreview.decision.issued"
"""The Prefect event name; it mirrors the domain event `DecisionIssued`."""
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
        "related": [
            {
                "prefect.resource.id": f"grantreview.jurisdiction.{outcome.jurisdiction}",
                "prefect.resource.role": "jurisdiction",
                "prefect.resource.name": who,
            },
            {
                "prefect.resource.id": f"grantreview.program.{program}",
                "prefect.resource.role": "program",
                "prefect.resource.name": f"{program}: {show_controls(program_title)}",
            },
        ],
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


@task(cache_policy=NO_CACHE, persist_result=False)
def emit_decision_events(program: str, outcomes: list[StreamOutcome]) -> int:
    """Emit one event per decision this run appended (a re-run appends none, emits none)."""
    runtime = get_runtime()
    settings = runtime.settings
    location = f"s3://{settings.s3_bucket}/{settings.s3_prefix}"
    title = runtime.program(program).program.title
    decided = [outcome for outcome in outcomes if outcome.decided_now]
    for outcome in decided:
        emit_event(**decision_event(program, title, outcome, location))
    return len(decided)
