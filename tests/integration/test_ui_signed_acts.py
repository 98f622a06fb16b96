"""Signed acts from the Prefect UI, on a real server with `grantreview serve` and a people file.

A team's path (docs/deploy.md): the run form of `review` carries actor, act and signature;
an unsigned start ends Failed in one line that says how to sign, with no traceback and
nothing written; the act prepared with `--prepare` and signed with `grantreview sign`,
pasted into the form, runs the review. The other path: `review-signed` pauses showing the
act and how to sign it; resumed with a malformed signature it ends in one line, resumed
with the signature `grantreview sign` made it runs the review.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from mypy_boto3_s3 import S3Client

from tests.conftest import count_objects
from tests.integration.test_deployments import _deployments, serving
from tests.integration.test_people import Office

ROOT = Path(__file__).resolve().parents[2]
SEEDS_CSV = ROOT / "programs" / "psp-2017" / "examples" / "jurisdictions.csv"
MALFORMED = "-----BEGIN SSH SIGNATURE-----\nbm90IGEgc2lnbmF0dXJl\n-----END SSH SIGNATURE-----\n"
PARAMETERS = {
    "program": "psp-2017",
    "jurisdictions": ["stockton-ca"],
    "as_of": "2017-08-03T00:00:00Z",
}


@pytest.fixture
def office(
    tmp_path: Path,
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Office:
    """Olga (operator) and the officials, the people file configured for every process."""
    return Office(tmp_path, cli_env, monkeypatch, capsys)


@pytest.fixture
def served(office: Office, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`grantreview serve --program psp-2017` with the people file, and no person's key."""
    env = {
        **office.env,
        "GRANTREVIEW_PEOPLE_FILE": str(office.people),
        "PREFECT_LOGGING_TO_API_ENABLED": "true",  # the run's Logs tab is under test
    }
    env.pop("GRANTREVIEW_PERSON_KEY_FILE", None)
    with serving(env, tmp_path / "serve.log") as process:
        yield process


def _review_deployment(process: subprocess.Popen[bytes]) -> Any:  # noqa: ANN401 - Prefect's
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "grantreview serve exited"
        found = asyncio.run(_deployments())["deployments"].get("review/review")
        if found is not None:
            return found
        time.sleep(0.5)
    pytest.fail("serve did not register the review deployment within 120 s")


async def _run(deployment_id: UUID, parameters: dict[str, Any]) -> tuple[Any, list[str]]:
    """Start a run as the UI's form does, wait for its end; its final state and its logs."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415 - after env is set
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId  # noqa: PLC0415

    async with get_client() as client:
        run = await client.create_flow_run_from_deployment(deployment_id, parameters=parameters)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            run = await client.read_flow_run(run.id)
            if run.state is not None and run.state.is_final():
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)  # the run's last log lines are sent in batches
        logs = await client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))
        )
    return run.state, [log.message for log in logs]


def _with_server(office: Office, function: Any, *args: Any) -> Any:  # noqa: ANN401 - any call
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    # Prefect froze its settings at import: point this call at the session's server
    with temporary_settings(updates={PREFECT_API_URL: office.env["PREFECT_API_URL"]}):
        return function(*args)


def test_the_ui_path_refuses_an_unsigned_start_in_one_line_and_runs_a_signed_one(
    office: Office,
    served: subprocess.Popen[bytes],
    operator_client: S3Client,
    s3_prefix: str,
) -> None:
    """The form's schema carries the act; unsigned: Failed, one line, no traceback, no write."""
    assert office.run("olga", "jurisdictions", "import", SEEDS_CSV).code == 0
    deployment = _with_server(office, _review_deployment, served)
    fields = deployment.parameter_openapi_schema["properties"]
    assert {"actor", "act", "signature"} <= set(fields)
    assert "--prepare" in fields["act"]["description"]  # each field says how to fill it in
    assert "grantreview sign" in fields["signature"]["description"]

    before = count_objects(operator_client, s3_prefix)
    state, logs = _with_server(office, lambda: asyncio.run(_run(deployment.id, PARAMETERS)))
    assert state.is_failed()
    assert state.message.startswith("refused, nothing written: a people file is in force")
    assert "--prepare" in state.message
    assert "\n" not in state.message
    # no traceback, ours or Prefect's engine's (flows/_refusal.py), and no failed task
    assert not [line for line in logs if "Traceback" in line], logs
    assert not [line for line in logs if "Task run encountered an exception" in line]
    assert any(line.startswith("refused, nothing written") for line in logs), logs
    assert count_objects(operator_client, s3_prefix) == before

    prepared = office.run(
        "olga", "review", "-p", "psp-2017", "stockton-ca", "--as-of", "2017-08-03", "--prepare"
    )
    assert prepared.code == 0, prepared
    act_file = office.tmp / "act.json"
    act_file.write_text(prepared.stdout)
    signed = office.run("olga", "sign", act_file)
    assert signed.code == 0, signed
    parameters = {**PARAMETERS, "actor": "olga", "act": prepared.stdout, "signature": signed.stdout}
    state, _ = _with_server(office, lambda: asyncio.run(_run(deployment.id, parameters)))
    assert state.is_completed(), state
    status = office.run("olga", "status", "-p", "psp-2017", "stockton-ca", "--json")
    assert '"step": "letter_sent"' in status.stdout


def _registered(process: subprocess.Popen[bytes], name: str) -> Any:  # noqa: ANN401 - Prefect's
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "grantreview serve exited"
        found = asyncio.run(_deployments())["deployments"].get(name)
        if found is not None:
            return found
        time.sleep(0.5)
    pytest.fail(f"serve did not register {name} within 120 s")


async def _paused(deployment_id: UUID, parameters: dict[str, Any]) -> tuple[UUID, str]:
    """Start a run; once it pauses for its signature, its id and the resume form's text."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415 - after env is set

    async with get_client() as client:
        run = await client.create_flow_run_from_deployment(deployment_id, parameters=parameters)
        deadline = time.monotonic() + 180
        while run.state is None or not run.state.is_paused():
            assert time.monotonic() < deadline, "the run never paused"
            assert run.state is None or not run.state.is_final(), run.state
            await asyncio.sleep(0.5)
            run = await client.read_flow_run(run.id)
        keyset = run.state.state_details.run_input_keyset
        assert keyset is not None
        stored = await client.read_flow_run_input(run.id, keyset["description"])
    return run.id, json.loads(stored)  # stored as JSON, as the UI reads it


async def _resume(run_id: UUID, signature: str) -> tuple[Any, list[str]]:
    """Resume as the UI's resume form does; the run's final state and its logs."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415 - after env is set
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId  # noqa: PLC0415

    async with get_client() as client:
        await client.resume_flow_run(run_id, run_input={"signature": signature})
        deadline = time.monotonic() + 180
        run = await client.read_flow_run(run_id)
        while run.state is None or not run.state.is_final():
            assert time.monotonic() < deadline, "the resumed run never ended"
            await asyncio.sleep(0.5)
            run = await client.read_flow_run(run_id)
        await asyncio.sleep(2)  # the run's last log lines are sent in batches
        logs = await client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id]))
        )
    return run.state, [log.message for log in logs]


def test_a_paused_review_shows_the_act_and_resumes_with_its_signature(
    office: Office,
    served: subprocess.Popen[bytes],
    operator_client: S3Client,
    s3_prefix: str,
) -> None:
    """`review-signed` pauses showing the act; signed with `grantreview sign`, it resumes."""
    assert office.run("olga", "jurisdictions", "import", SEEDS_CSV).code == 0
    deployment = _with_server(office, _registered, served, "review-signed/review-signed")
    parameters = {**PARAMETERS, "actor": "olga"}
    before = count_objects(operator_client, s3_prefix)
    run_id, form = _with_server(office, lambda: asyncio.run(_paused(deployment.id, parameters)))
    assert "grantreview sign act.json" in form
    assert "```json\n" in form, form
    act = form.split("```json\n", 1)[1].split("\n```", 1)[0]
    assert count_objects(operator_client, s3_prefix) == before  # nothing until it is signed
    other_id, _ = _with_server(office, lambda: asyncio.run(_paused(deployment.id, parameters)))
    state, logs = _with_server(office, lambda: asyncio.run(_resume(other_id, MALFORMED)))
    assert state.is_failed(), state
    assert state.message.startswith("refused, nothing written: refused (bad_act_signature)")
    assert not [line for line in logs if "Traceback" in line], logs
    assert count_objects(operator_client, s3_prefix) == before
    act_file = office.tmp / "act.json"
    act_file.write_text(act)
    signed = office.run("olga", "sign", act_file)
    assert signed.code == 0, signed
    state, _ = _with_server(office, lambda: asyncio.run(_resume(run_id, signed.stdout)))
    assert state.is_completed(), state
    status = office.run("olga", "status", "-p", "psp-2017", "stockton-ca", "--json")
    assert '"step": "letter_sent"' in status.stdout
