"""`grantreview serve` on a real Prefect server: all deployments; `decide` run by its trigger."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from infra.eventlog.log import EventLog
from schemas.events.catalog import DecisionIssued, ResponseAmended
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from tests.conftest import Cli, run_cli_process

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "programs" / "psp-2017" / "examples"
EXPECTED = {
    "review/review",
    "review-signed/review-signed",
    "decide/decide",
    "deadlines/deadlines-psp-2017",
    "checkpoint/checkpoint",
    "audit/audit",
    "reevaluate/reevaluate-psp-2017",
    "determine/determine",
    "request-info/request-info",
    "extend/extend",
    "preview/preview",
    "add-order/add-order",
}


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def serving(
    env: dict[str, str], log_path: Path, program: str = "psp-2017"
) -> Iterator[subprocess.Popen[bytes]]:
    """`grantreview serve --program PROGRAM` in its own process group, polling every second."""
    log = log_path.open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("grantreview")), "serve", "--program", program],
        env={**os.environ, **env, "PREFECT_RUNNER_POLL_FREQUENCY": "1"},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        _stop(process)
        log.close()


@pytest.fixture
def served(cli_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`grantreview serve --program psp-2017` for this test's S3 prefix."""
    with serving(cli_env, tmp_path / "serve.log") as process:
        yield process


async def _deployments() -> dict[str, Any]:
    from prefect.client.orchestration import get_client  # noqa: PLC0415 - after env is set

    async with get_client() as client:
        found = await client.read_deployments()
        flows = {flow.id: flow.name for flow in await client.read_flows()}
        automations = await client.read_automations()
    return {
        "deployments": {f"{flows[d.flow_id]}/{d.name}": d for d in found},
        "automations": automations,
    }


async def _flow_run(run_id: str) -> Any:  # noqa: ANN401 - Prefect's FlowRun
    from prefect.client.orchestration import get_client  # noqa: PLC0415

    async with get_client() as client:
        return await client.read_flow_run(UUID(run_id))


def _wait_for_serve(process: subprocess.Popen[bytes], location: str) -> dict[str, Any]:
    """Until every deployment exists and decide's trigger watches this test's log."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "grantreview serve exited"
        seen = asyncio.run(_deployments())
        triggers = [
            a.trigger.match
            for a in seen["automations"]
            if any(
                getattr(action, "deployment_id", None) == seen["deployments"][name].id
                for action in a.actions
                for name in ["decide/decide"]
                if name in seen["deployments"]
            )
        ]
        if set(seen["deployments"]) >= EXPECTED and any(
            location in (match.get("grantreview.log") or []) for match in triggers
        ):
            return seen
        time.sleep(0.5)
    pytest.fail("serve did not register every deployment within 60 s")


def _decisions(log: EventLog, slug: str) -> list[tuple[DecisionIssued, str | None]]:
    commits = log.read_stream(StreamId(program="psp-2017", jurisdiction=slug))
    return [
        (event, commit.events[0].get("grflowrun"))
        for commit in commits
        for _, event in decoded_events(commit)
        if isinstance(event, DecisionIssued)
    ]


def _wait_for_decisions(log: EventLog, slug: str, count: int) -> list[tuple[DecisionIssued, Any]]:
    deadline = time.monotonic() + 150  # emit -> trigger -> run is seconds idle, slower loaded
    while time.monotonic() < deadline:
        found = _decisions(log, slug)
        if len(found) >= count:
            return found
        time.sleep(0.3)
    pytest.fail(f"no triggered decision for {slug} within 150 s")


def test_serve_registers_deployments_and_the_trigger_decides(
    cli: Cli,
    cli_env: dict[str, str],
    served: subprocess.Popen[bytes],
    s3_event_log: EventLog,
    s3_prefix: str,
    tmp_path: Path,
) -> None:
    """`respond --async` only records; the served trigger starts `decide`, which decides once."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    assert cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03").code == 0
    location = f"s3://{cli_env['GRANTREVIEW_S3_BUCKET']}/{s3_prefix}"
    seen = _wait_for_serve(served, location)
    review = seen["deployments"]["review/review"]
    properties = review.parameter_openapi_schema["properties"]
    assert properties["program"]["type"] == "string"
    # an optional field is its plain type under its help, never a `None` choice (forms.py)
    assert (properties["as_of"]["type"], properties["as_of"]["format"]) == ("string", "date-time")
    assert "default" not in properties["as_of"]
    # A real process, as an operator runs it: its Prefect client reads this test's API URL.
    asynchronous = run_cli_process(
        cli_env,
        "respond",
        "stockton-ca",
        "--program",
        "psp-2017",
        "--file",
        EXAMPLES / "stockton-ca.json",
        "--async",
        "--json",
    )
    assert asynchronous.code == 0, asynchronous
    row = json.loads(asynchronous.stdout)
    assert row["event"] == "grantreview.response.received"
    assert row["appended"] == 1
    ((decision, run_id),) = _wait_for_decisions(s3_event_log, "stockton-ca", 1)
    assert decision.outcome.value == "ineligible"
    assert run_id is not None
    run = asyncio.run(_flow_run(run_id))
    assert run.deployment_id == seen["deployments"]["decide/decide"].id
    assert run.parameters == {"program": "psp-2017", "jurisdiction": "stockton-ca"}
    amended = json.loads((EXAMPLES / "stockton-ca.json").read_text())
    amended["answers"]["detention_access"]["text"] = "Amended: still not applicable."
    amended_file = tmp_path / "amended.json"
    amended_file.write_text(json.dumps(amended))
    second = run_cli_process(
        cli_env,
        "respond",
        "stockton-ca",
        "--program",
        "psp-2017",
        "--file",
        amended_file,
        "--async",
    )
    assert second.code == 0, second
    decisions = _wait_for_decisions(s3_event_log, "stockton-ca", 2)
    assert len({decision.decision_id for decision, _ in decisions}) == 2
    commits = s3_event_log.read_stream(StreamId(program="psp-2017", jurisdiction="stockton-ca"))
    assert any(isinstance(e, ResponseAmended) for c in commits for _, e in decoded_events(c))
    again = cli(
        "respond",
        "stockton-ca",
        "--program",
        "psp-2017",
        "--file",
        amended_file,
        "--async",
        "--json",
    )
    assert again.code == 0, again
    assert json.loads(again.stdout) | {"reasons": []} == {
        "jurisdiction": "stockton-ca",
        "program": "psp-2017",
        "step": "decided",
        "decision": "ineligible",
        "reasons": [],
        "appended": 0,
        "event": None,  # an identical response to a decided stream: no event, no new run
    }
