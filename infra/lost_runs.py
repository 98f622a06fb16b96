"""Runs whose worker was lost go back to their work pool: Prefect runs them again.

A process worker runs each flow run in a child process. When the host, the worker or
that process dies, the run stays `Running` and nothing finishes it. Runs of our pool
deployments send a heartbeat event every 30 s (Prefect's minimum, set in the job's
environment); this automation — Prefect's documented zombie-run pattern — notices when
the beats stop and sets the run to `AwaitingRetry`, so any worker polling the pool picks
it up again. Flows are idempotent (each commit has an idempotency key, letters go
through the stream's outbox), so the second attempt finishes the work and repeats none.

Served runs (`grantreview serve`) and in-process CLI runs carry no retry tag and are
never matched.
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
    "AUTOMATION_NAME",
    "HEARTBEAT_SECONDS",
    "LOST_AFTER_SECONDS",
    "RETRY_TAG",
    "ensure_lost_run_retry",
    "heartbeat_job_variables",
]

HEARTBEAT_SECONDS: Final = 30
"""Heartbeat period of pool runs: Prefect's minimum."""
LOST_AFTER_SECONDS: Final = 90
"""Three missed beats: a slow beat is not a lost worker."""
RETRY_TAG: Final = "retry-when-lost"
"""Deployments whose runs are retried when their worker is lost carry this tag."""
AUTOMATION_NAME: Final = "grantreview: retry runs whose worker was lost"

_FINAL_OR_ALIVE: Final = {
    "prefect.flow-run.heartbeat",
    "prefect.flow-run.Completed",
    "prefect.flow-run.Failed",
    "prefect.flow-run.Cancelled",
    "prefect.flow-run.Crashed",
}


def heartbeat_job_variables() -> dict[str, object]:
    """Job variables that make a pool run send the heartbeats the automation watches."""
    return {"env": {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS)}}


def ensure_lost_run_retry(lost_after: float = LOST_AFTER_SECONDS) -> UUID:
    """Create or update the automation; returns its id.

    `lost_after` must exceed the heartbeat period, or healthy runs would be retried.
    """
    if lost_after <= HEARTBEAT_SECONDS:
        raise ValueError(f"lost_after must exceed the {HEARTBEAT_SECONDS} s heartbeat period")
    trigger = EventTrigger(
        after={"prefect.flow-run.heartbeat"},
        expect=_FINAL_OR_ALIVE,
        match=ResourceSpecification({"prefect.resource.id": "prefect.flow-run.*"}),
        match_related=ResourceSpecification(
            {"prefect.resource.role": "tag", "prefect.resource.id": f"prefect.tag.{RETRY_TAG}"}
        ),
        for_each={"prefect.resource.id"},
        posture=Posture.Proactive,
        threshold=1,
        within=timedelta(seconds=lost_after),
    )
    action = ChangeFlowRunState(
        state=StateType.SCHEDULED,
        name="AwaitingRetry",
        message=f"no heartbeat for {lost_after:.0f} s: its worker was lost; run again",
        force=True,
    )
    automation = AutomationCore(
        name=AUTOMATION_NAME,
        description="Runs of pool deployments whose heartbeat stopped are run again.",
        trigger=trigger,
        actions=[action],
    )
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(AUTOMATION_NAME)
        if not existing:
            return client.create_automation(automation)
        client.update_automation(existing[0].id, automation)
        return existing[0].id
