"""Scheduled runs named for what they will do, before they start.

Prefect names a run from its flow's `flow_run_name` only when the run starts; the server's
scheduler creates the upcoming runs with random names (`crafty-owl`), and Prefect 3 has no
name template for a deployment or a schedule. So `serve` names them: every scheduled run
of a flow with a name template gets the name it will carry when it runs
(`deadlines-psp-2017-2026-12-07`), its `{date}` the day it is expected to start.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import httpx
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import PrefectHTTPStatusError

from flows.run_names import RunNamer, run_name
from infra.platform.logging import get_logger

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.client.orchestration import SyncPrefectClient

__all__ = ["EVERY_SECONDS", "keep_scheduled_runs_named", "name_scheduled_runs", "templates_of"]

EVERY_SECONDS: Final = 60.0
"""How often `serve` names new scheduled runs (the server schedules about once a minute)."""
_PAGE: Final = 200

_log = get_logger(__name__)


def templates_of(flows: Sequence[Flow[Any, Any]]) -> dict[str, str]:
    """Each flow's run name template by flow name (flows without one are left out)."""
    return {
        flow.name: flow.flow_run_name.template
        for flow in flows
        if isinstance(flow.flow_run_name, RunNamer)
    }


def scheduled_name(template: str, parameters: Mapping[str, Any], start: datetime) -> str:
    """The name a run scheduled for `start` will have when it runs."""
    return run_name(template, parameters, start)


def name_scheduled_runs(client: SyncPrefectClient, templates: Mapping[str, str]) -> int:
    """Rename every scheduled deployment run of these flows to its name; how many changed."""
    if not templates:
        return 0
    flows = FlowFilter(name=FlowFilterName(any_=sorted(templates)))
    names = {flow.id: flow.name for flow in client.read_flows(flow_filter=flows)}
    scheduled = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
        deployment_id=FlowRunFilterDeploymentId(is_null_=False),
    )
    renamed, offset = 0, 0
    while True:
        runs = client.read_flow_runs(
            flow_filter=flows,
            flow_run_filter=scheduled,
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=_PAGE,
            offset=offset,
        )
        for run in runs:
            template = templates.get(names.get(run.flow_id, ""))
            start = run.expected_start_time or run.next_scheduled_start_time
            if template is None or start is None:
                continue
            name = scheduled_name(template, run.parameters, start)
            if run.name != name:
                client.update_flow_run(run.id, name=name)
                renamed += 1
        if len(runs) < _PAGE:
            return renamed
        offset += _PAGE


def keep_scheduled_runs_named(
    flows: Sequence[Flow[Any, Any]], stop: threading.Event, every: float = EVERY_SECONDS
) -> None:
    """Name scheduled runs now and every `every` seconds until `stop` is set (a thread of serve).

    An unreachable or refusing API is logged and tried again next time: naming is a
    courtesy, never a reason to stop serving.
    """
    from prefect.client.orchestration import get_client  # noqa: PLC0415 - the serving API

    templates = templates_of(flows)
    while not stop.is_set():
        try:
            with get_client(sync_client=True) as client:
                renamed = name_scheduled_runs(client, templates)
            if renamed:
                _log.info("scheduled_runs_named", count=renamed)
        except (httpx.HTTPError, OSError, PrefectHTTPStatusError, RuntimeError) as error:
            _log.warning("scheduled_runs_not_named", error=str(error))
        stop.wait(every)
