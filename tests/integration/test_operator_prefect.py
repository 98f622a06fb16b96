"""Prefect as operators see it, on a real server: the run form, run names, logs and events."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import pytest
from prefect.exceptions import PrefectHTTPStatusError

from flows.deploy.deployments import review_deployments
from infra.platform.settings import Settings
from tests.conftest import Cli, run_cli_process

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "programs" / "psp-2017" / "examples"


def _apply_review(settings: Settings) -> UUID:
    """Register the review deployment as `serve --program psp-2017` would (no runner needed)."""
    (review,) = [d for d in review_deployments(["psp-2017"], settings) if d.name == "review"]
    # sync-compatible: called outside an event loop, apply returns the deployment id
    return cast("UUID", review.apply())


async def _read(deployment_id: UUID) -> Any:  # noqa: ANN401 - Prefect's DeploymentResponse
    from prefect.client.orchestration import get_client  # noqa: PLC0415 - after env is set

    async with get_client() as client:
        return await client.read_deployment(deployment_id)


async def _start(deployment_id: UUID, parameters: dict[str, Any]) -> None:
    from prefect.client.orchestration import get_client  # noqa: PLC0415

    async with get_client() as client:
        await client.create_flow_run_from_deployment(deployment_id, parameters=parameters)


def test_the_run_form_has_help_a_program_choice_and_refuses_a_bad_slug(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stores descriptions and the served programs; a bad slug is one line, no run."""
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    # Prefect froze its settings at import: point this test at the session's server
    with temporary_settings(updates={PREFECT_API_URL: cli_env["PREFECT_API_URL"]}):
        _check_the_form(_apply_review(settings))


def _check_the_form(deployment_id: UUID) -> None:
    stored = asyncio.run(_read(deployment_id))
    assert stored.description.startswith("Review jurisdictions under a program")
    assert "Args:" not in stored.description
    properties = stored.parameter_openapi_schema["properties"]
    assert all(properties[name].get("description") for name in properties), properties
    assert properties["program"]["enum"] == ["psp-2017"]
    assert stored.parameters == {"program": "psp-2017"}  # the form's default
    with pytest.raises(PrefectHTTPStatusError) as refused:
        asyncio.run(_start(deployment_id, {"jurisdictions": ["Stockton CA"]}))
    detail = refused.value.response.json()["detail"]
    assert "\n" not in detail
    assert "Stockton CA" in detail
    with pytest.raises(PrefectHTTPStatusError):
        asyncio.run(_start(deployment_id, {"program": "not-served"}))


async def _decision_events(location: str) -> list[Any]:
    from prefect.client.orchestration import get_client  # noqa: PLC0415
    from prefect.events.filters import (  # noqa: PLC0415
        EventFilter,
        EventNameFilter,
        EventResourceFilter,
    )
    from prefect.events.schemas.events import ResourceSpecification  # noqa: PLC0415

    async with get_client() as client:
        page = await client.read_events(
            filter=EventFilter(
                event=EventNameFilter(name=["grantreview.decision.issued"]),
                resource=EventResourceFilter(
                    labels=ResourceSpecification({"grantreview.log": location})
                ),
            ),
            limit=50,
        )
    return list(page.events)


async def _run_and_logs(name: str) -> tuple[list[Any], list[str]]:
    from prefect.client.orchestration import get_client  # noqa: PLC0415
    from prefect.client.schemas.filters import (  # noqa: PLC0415
        FlowRunFilter,
        FlowRunFilterName,
        LogFilter,
        LogFilterFlowRunId,
    )

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name]))
        )
        logs = await client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[r.id for r in runs]))
        )
    return runs, [log.message for log in logs]


def test_a_decision_is_an_event_and_its_run_has_a_name_and_logs(
    cli: Cli, cli_env: dict[str, str], s3_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `respond` run as a user starts it: a readable name, logs in the UI, a decision event."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    assert cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03").code == 0
    # the CLI's own defaults, not the test suite's quiet ones (no run logs sent to the API)
    quiet = {"PREFECT_LOGGING_TO_API_ENABLED", "PREFECT_LOGGING_LEVEL"}
    env = {k: v for k, v in cli_env.items() if k not in quiet}
    for name in quiet:
        monkeypatch.delenv(name, raising=False)  # the cli fixture set them in this process
    responded = run_cli_process(
        env,
        "respond",
        "stockton-ca",
        "--program",
        "psp-2017",
        "--file",
        EXAMPLES / "stockton-ca.json",
    )
    assert responded.code == 0, responded
    assert responded.stderr == ""  # run logs go to the UI, not to the terminal
    location = f"s3://{cli_env['GRANTREVIEW_S3_BUCKET']}/{s3_prefix}"
    deadline = time.monotonic() + 60
    events: list[Any] = []
    while time.monotonic() < deadline and not events:
        events = asyncio.run(_decision_events(location))
        time.sleep(0.5)
    (event,) = events
    # the tests' psp-2017 has no stages (one_stage_programs): its decision is final, and says so
    assert event.resource["prefect.resource.name"].endswith(": ineligible, final (psp-2017)")
    assert (event.payload["stage"], event.payload["final"]) == ("final", True)
    assert event.resource["grantreview.stage"] == "final"
    related = {r.role: r for r in event.related if r.role in {"jurisdiction", "program"}}
    assert related["jurisdiction"].id == "grantreview.jurisdiction.stockton-ca"
    assert related["jurisdiction"]["prefect.resource.name"] == "Stockton, CA"
    assert related["program"]["prefect.resource.name"].startswith("psp-2017: ")
    assert event.payload["decision"] == "ineligible"
    runs, messages = asyncio.run(_run_and_logs("respond-stockton-ca"))
    assert runs  # named after what it did, not "sympathetic-tuna"
    assert any("Finished in state Completed" in message for message in messages), messages
    # the Logs tab carries the run's one-line summary, not only Prefect's state line
    assert "psp-2017: 1 jurisdictions, 1 changed, 1 decisions made in this run" in messages


def test_scheduled_runs_are_named_before_they_start(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scheduled run of `deadlines-psp-2017` reads `deadlines-psp-2017-<day>` while it waits."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415 - after env is set
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415
    from prefect.states import Scheduled  # noqa: PLC0415

    from flows.deploy.deployments import SERVED_FLOWS  # noqa: PLC0415
    from flows.deploy.scheduled_names import name_scheduled_runs, templates_of  # noqa: PLC0415

    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    when = datetime(2030, 1, 2, 0, 15, tzinfo=UTC)
    with temporary_settings(updates={PREFECT_API_URL: cli_env["PREFECT_API_URL"]}):
        (deadlines,) = [
            d for d in review_deployments(["psp-2017"], settings) if d.name == "deadlines-psp-2017"
        ]
        deployment_id = cast("UUID", deadlines.apply())
        with get_client(sync_client=True) as client:
            run = client.create_flow_run_from_deployment(
                deployment_id, state=Scheduled(scheduled_time=when)
            )
            assert run.name != "deadlines-psp-2017-2030-01-02"  # Prefect's random name
            assert name_scheduled_runs(client, templates_of(SERVED_FLOWS)) >= 1
            assert client.read_flow_run(run.id).name == "deadlines-psp-2017-2030-01-02"
