"""Runs whose worker was lost are crashed, and crashed runs go back to their work pool.

A process worker runs each flow run in a child process. When the host, the worker or
that process dies, the run either stays `Running` with nothing to finish it, or ends
`Crashed`. Two Prefect automations, Prefect's documented zombie-run pattern plus a
bounded retry, make Prefect run it again:

1. runs of our pool deployments send a heartbeat every 30 s (Prefect's minimum, set in
   the job's environment); when the beats stop for `lost_after` seconds, the run is set
   to `Crashed`;
2. a crashed run (by 1, or by Prefect noticing its process died) is set to
   `AwaitingRetry`, unless it already ran `MAX_ATTEMPTS` times; the next worker to poll
   the pool runs it again.

Flows are idempotent (each commit has an idempotency key, letters go through the
stream's outbox), so the next attempt finishes the work and repeats none of it. Only
runs tagged `RETRY_TAG` are matched: served runs (`grantreview serve`) and in-process
CLI runs never are.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

__all__ = [
    "CRASH_AUTOMATION",
    "HEARTBEAT_SECONDS",
    "LOST_AFTER_SECONDS",
    "MAX_ATTEMPTS",
    "RETRY_AUTOMATION",
    "RETRY_TAG",
    "ensure_lost_run_retry",
    "heartbeat_job_variables",
]

HEARTBEAT_SECONDS: Final = 30
"""Heartbeat period of pool runs: Prefect's minimum."""
LOST_AFTER_SECONDS: Final = 90
"""Three missed beats: a slow beat is not a lost worker."""
MAX_ATTEMPTS: Final = 3
"""A run that crashes this many times stays `Crashed` for an operator to look at."""
RETRY_TAG: Final = "retry-when-lost"
"""Deployments whose runs are retried when their worker is lost carry this tag."""
CRASH_AUTOMATION: Final = "grantreview: crash runs whose heartbeat stopped"
RETRY_AUTOMATION: Final = "grantreview: retry crashed pool runs"

_ANY_FLOW_RUN: Final = ResourceSpecification({"prefect.resource.id": "prefect.flow-run.*"})
_TAGGED: Final = ResourceSpecification(
    {"prefect.resource.role": "tag", "prefect.resource.id": f"prefect.tag.{RETRY_TAG}"}
)


def heartbeat_job_variables() -> dict[str, object]:
    """Job variables that make a pool run send the heartbeats the automation watches."""
    return {"env": {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS)}}


def ensure_lost_run_retry(lost_after: float = LOST_AFTER_SECONDS) -> tuple[UUID, UUID]:
    """Create or update both automations; returns their ids (crash, retry).

    `lost_after` must exceed the heartbeat period, or healthy runs would be crashed.
    """
    if lost_after <= HEARTBEAT_SECONDS:
        raise ValueError(f"lost_after must exceed the {HEARTBEAT_SECONDS} s heartbeat period")
    crash = AutomationCore(
        name=CRASH_AUTOMATION,
        description="A pool run whose heartbeats stopped lost its worker: mark it Crashed.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
            },
            match=_ANY_FLOW_RUN,
            match_related=_TAGGED,
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=lost_after),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"no heartbeat for {lost_after:.0f} s: its worker was lost",
            )
        ],
    )
    retry = AutomationCore(
        name=RETRY_AUTOMATION,
        description=f"Run a crashed pool run again, up to {MAX_ATTEMPTS} attempts in all.",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Crashed"},
            match=ResourceSpecification(
                {
                    "prefect.resource.id": "prefect.flow-run.*",
                    "prefect.run-count": [str(count) for count in range(MAX_ATTEMPTS)],
                }
            ),
            match_related=_TAGGED,
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.SCHEDULED,
                name="AwaitingRetry",
                message="crashed: run again on the pool",
                force=True,
            )
        ],
    )
    return _upsert(crash), _upsert(retry)


def _upsert(automation: AutomationCore) -> UUID:
    """Create the automation, or replace the one of the same name."""
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(automation.name)
        if not existing:
            return client.create_automation(automation)
        client.update_automation(existing[0].id, automation)
        return existing[0].id
