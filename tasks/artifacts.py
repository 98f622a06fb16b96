"""What operators see in the Prefect UI: a table of where every stream stands after a run."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from tasks.streams import StreamOutcome

__all__ = ["publish_outcomes"]


@task(cache_policy=NO_CACHE, persist_result=False)
def publish_outcomes(program: str, outcomes: list[StreamOutcome]) -> None:
    """One table artifact per run: jurisdiction, step, decision, reasons."""
    create_table_artifact(
        key=f"{program}-outcomes",
        table=[
            {
                "jurisdiction": outcome.jurisdiction,
                "step": outcome.step,
                "decision": outcome.decision,
                "reasons": "; ".join(outcome.reasons),
            }
            for outcome in outcomes
        ],
        description=f"Where each {program} review stands after this run.",
    )
