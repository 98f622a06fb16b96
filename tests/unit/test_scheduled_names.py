"""Scheduled runs carry the name they will run under before they start (serve names them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from flows.deploy.deployments import SERVED_FLOWS, served_deployments
from flows.deploy.scheduled_names import name_scheduled_runs, scheduled_name, templates_of
from infra.platform.settings import Settings

START = datetime(2026, 12, 7, 0, 15, tzinfo=UTC)


def test_every_scheduled_deployment_has_a_readable_name_before_it_runs() -> None:
    """Each deployment with a schedule names its runs from its flow's template and parameters."""
    templates = templates_of(SERVED_FLOWS)
    made = served_deployments(["psp-2017"], settings=Settings())
    names = {
        deployment.name: scheduled_name(
            templates[str(deployment.flow_name)], deployment.parameters, START
        )
        for deployment in made
        if deployment.schedules
    }
    assert names == {
        "checkpoint": "checkpoint-2026-12-07",
        "audit": "audit-all-2026-12-07",
        "deadlines-psp-2017": "deadlines-psp-2017-2026-12-07",
        "reevaluate-psp-2017": "reevaluate-psp-2017-2026-12-07",
    }


@dataclass
class _Flow:
    id: UUID
    name: str


@dataclass
class _Run:
    flow_id: UUID
    name: str
    parameters: dict[str, Any]
    expected_start_time: datetime | None
    next_scheduled_start_time: datetime | None = None
    id: UUID = field(default_factory=uuid4)


class _Client:
    """The three calls the namer makes, over a list of scheduled runs, in pages."""

    def __init__(self, flows: list[_Flow], runs: list[_Run]) -> None:
        self.flows, self.runs, self.updates = flows, runs, 0

    def read_flows(self, **_: object) -> list[_Flow]:
        return self.flows

    def read_flow_runs(self, *, limit: int, offset: int, **_: object) -> list[_Run]:
        return self.runs[offset : offset + limit]

    def update_flow_run(self, flow_run_id: UUID, *, name: str) -> None:
        (run,) = [run for run in self.runs if run.id == flow_run_id]
        run.name = name
        self.updates += 1


def test_the_namer_renames_each_scheduled_run_once_across_pages() -> None:
    """Random names become the template's; a second pass changes nothing; others are left."""
    deadlines, other = _Flow(uuid4(), "deadlines"), _Flow(uuid4(), "not-ours")
    runs = [
        _Run(deadlines.id, f"crafty-owl-{n}", {"program": "psp-2017"}, START) for n in range(250)
    ]
    runs.append(_Run(other.id, "lazy-cat", {}, START))
    client = _Client([deadlines, other], runs)
    templates = templates_of(SERVED_FLOWS)
    assert name_scheduled_runs(client, templates) == 250  # type: ignore[arg-type] # a fake client
    assert {run.name for run in runs} == {"deadlines-psp-2017-2026-12-07", "lazy-cat"}
    assert name_scheduled_runs(client, templates) == 0  # type: ignore[arg-type]
    assert client.updates == 250
