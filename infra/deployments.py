"""The deployments `grantreview serve` runs: one place where schedules are wired."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Final, cast

from prefect.types.entrypoint import EntrypointType

from flows.reevaluate import reevaluate

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

__all__ = ["DEFAULT_REEVALUATE_CRON", "reevaluation_deployments", "served_deployments"]

DEFAULT_REEVALUATE_CRON: Final = "0 6 * * *"
"""Daily at 06:00 UTC, before the office opens on the east coast."""


def reevaluation_deployments(
    programs: list[str],
    *,
    cron: str | None = DEFAULT_REEVALUATE_CRON,
    interval: timedelta | None = None,
) -> list[RunnerDeployment]:
    """One scheduled `reevaluate` deployment per program (an interval, if given, beats cron)."""
    schedule: dict[str, object] = {"interval": interval} if interval else {"cron": cron}
    return [
        cast(  # to_deployment is sync-compatible: called outside an event loop it returns the value
            "RunnerDeployment",
            reevaluate.to_deployment(
                name=f"reevaluate-{program}",
                parameters={"program": program},
                concurrency_limit=1,
                tags=["reevaluation", program],
                entrypoint_type=EntrypointType.MODULE_PATH,
                **schedule,  # type: ignore[arg-type] # either interval or cron, as typed above
            ),
        )
        for program in programs
    ]


def served_deployments(
    programs: list[str],
    *,
    reevaluate_cron: str | None = DEFAULT_REEVALUATE_CRON,
    reevaluate_interval: timedelta | None = None,
) -> list[RunnerDeployment]:
    """Every deployment `grantreview serve` runs (other flows are added here as they come)."""
    return reevaluation_deployments(programs, cron=reevaluate_cron, interval=reevaluate_interval)
