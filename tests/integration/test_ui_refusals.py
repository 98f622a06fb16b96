"""Every refused UI run of a deployment that needs a person's act ends in one line (issue #24).

On a real Prefect server with `grantreview serve` and a people file in force, runs of `act`,
`review`, `determine`, `request-info` and `extend` are started as the UI's form does, with
no act, an unsigned act, a malformed signature, or an act signed by someone else. Each ends
Failed, never retried, with exactly one error line in its logs saying what to do next: no
traceback from our code, a task or Prefect's engine, and nothing written to S3.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from mypy_boto3_s3 import S3Client

from tests.conftest import count_objects
from tests.integration.test_deployments import _deployments, serving
from tests.integration.test_people import Office
from tests.integration.test_staged_reviews import FIXTURES, QUESTIONS, SEEDS_CSV

PROGRAM = "staged-person"
SLUG = "stockton-ca"
REASON = "the office read the answers"
MALFORMED = "-----BEGIN SSH SIGNATURE-----\nbm90IGEgc2lnbmF0dXJl\n-----END SSH SIGNATURE-----\n"
PREPARE_DETERMINE = (
    f"`grantreview determine {SLUG} -p {PROGRAM} --decision eligible --reason '{REASON}'"
    " --actor dora --prepare > act.json`"
)
DEPLOYMENTS = ("act", "review", "determine", "request-info", "extend")


@dataclass(frozen=True)
class Case:
    """One refused start: which deployment, why, its form's values, what its line must say."""

    deployment: str
    why: str
    parameters: dict[str, Any]
    says: str


@dataclass(frozen=True)
class Ended:
    """What a run left: its final state, run count and every log line with its level."""

    state: Any
    run_count: int
    logs: list[tuple[int, str]]


@pytest.fixture
def office(
    tmp_path: Path,
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Office:
    """Olga (operator), Dora and Dan (determining officials) over the staged test program."""
    env = {**cli_env, "GRANTREVIEW_PROGRAMS_DIR": str(FIXTURES)}
    return Office(tmp_path, env, monkeypatch, capsys)


@pytest.fixture
def served(office: Office, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`grantreview serve` with the people file in force and no person's key, as in an office."""
    env = {
        **office.env,
        "GRANTREVIEW_PEOPLE_FILE": str(office.people),
        "PREFECT_LOGGING_TO_API_ENABLED": "true",  # the run's logs are under test
    }
    env.pop("GRANTREVIEW_PERSON_KEY_FILE", None)
    with serving(env, tmp_path / "serve.log", PROGRAM) as process:
        yield process
    _with_server(office, lambda: asyncio.run(_forget_deployments()))


async def _forget_deployments() -> None:
    """Delete the deployments served for PROGRAM: later tests serve psp-2017 on this server."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415 - after env is set

    async with get_client() as client:
        for deployment in await client.read_deployments():
            if PROGRAM in json.dumps(deployment.parameter_openapi_schema) + deployment.name:
                await client.delete_deployment(deployment.id)


def _accepts_program(deployment: Any) -> bool:  # noqa: ANN401 - Prefect's DeploymentResponse
    """Registered by this test's `serve`: its form offers PROGRAM (or takes no program)."""
    program = deployment.parameter_openapi_schema.get("properties", {}).get("program")
    return program is None or PROGRAM in program.get("enum", [])


def _awaiting_determination(office: Office) -> None:
    """Import, letter, answers: the stream waits for a person's determination."""
    assert office.run("olga", "jurisdictions", "import", SEEDS_CSV).code == 0
    letter = office.run("olga", "review", "-p", PROGRAM, SLUG, "--as-of", "2017-08-03")
    assert letter.code == 0, letter
    body = {
        "jurisdiction": SLUG,
        "program": PROGRAM,
        "received_at": "2017-08-10T12:00:00+00:00",
        "respondent": {"name": "Office of the Chief", "title": "Chief of Police"},
        "answers": {question: {"answer": "yes"} for question in QUESTIONS},
    }
    path = office.tmp / "answers.json"
    path.write_text(json.dumps(body))
    answered = office.run(
        "olga", "respond", SLUG, "-p", PROGRAM, "-f", path, "--as-of", "2017-08-10T13:00:00Z"
    )
    assert answered.code == 0, answered


def _prepared(office: Office, person: str, *args: str) -> str:
    result = office.run(person, *args, "--prepare")
    assert result.code == 0, result
    return result.stdout


def _signed(office: Office, person: str, act: str) -> str:
    path = office.tmp / f"act-{len(office.outputs)}.json"
    path.write_text(act)
    result = office.run(person, "sign", path)
    assert result.code == 0, result
    return result.stdout


def _cases(office: Office) -> list[Case]:
    """Four refusals of each act-taking deployment (two where the path is the same)."""
    review_act = _prepared(office, "olga", "review", "-p", PROGRAM, SLUG)
    determine_act = _prepared(
        office, "dora", "determine", SLUG, "-p", PROGRAM, "--decision", "eligible", "--reason",
        REASON,
    )  # fmt: skip
    review = {"program": PROGRAM, "jurisdictions": [SLUG], "actor": "olga"}
    determine = {
        "program": PROGRAM,
        "jurisdiction": SLUG,
        "decision": "eligible",
        "reason": REASON,
        "actor": "dora",
    }
    stage = {"program": PROGRAM, "jurisdiction": SLUG, "reason": REASON, "actor": "dora"}
    request_info = {**stage, "questions": [QUESTIONS[0]], "due": "2017-09-30"}
    extend = {**stage, "until": "2017-09-30"}
    by_dan = {"review": _signed(office, "dan", review_act), "act": ""}
    by_dan["act"] = _signed(office, "dan", determine_act)
    return [
        Case("act", "no act", {"act": "", "signature": ""}, "--prepare"),
        Case("act", "unsigned", {"act": determine_act, "signature": ""}, "grantreview sign"),
        Case(
            "act", "malformed", {"act": determine_act, "signature": MALFORMED}, "grantreview sign"
        ),
        Case("act", "wrong person", {"act": determine_act, "signature": by_dan["act"]}, "dora"),
        Case("review", "no act", review, f"`grantreview review -p {PROGRAM} {SLUG} --actor olga"),
        Case("review", "unsigned", {**review, "act": review_act}, "grantreview sign"),
        Case(
            "review",
            "malformed",
            {**review, "act": review_act, "signature": MALFORMED},
            "grantreview sign",
        ),
        Case(
            "review",
            "wrong person",
            {**review, "act": review_act, "signature": by_dan["review"]},
            "olga",
        ),
        Case("determine", "no act", determine, PREPARE_DETERMINE),
        Case("determine", "unsigned", {**determine, "act": determine_act}, "grantreview sign"),
        Case(
            "determine",
            "malformed",
            {**determine, "act": determine_act, "signature": MALFORMED},
            "sign",
        ),
        Case(
            "determine",
            "wrong person",
            {**determine, "act": determine_act, "signature": by_dan["act"]},
            "dora",
        ),
        Case("request-info", "no act", request_info, "--prepare"),
        Case("request-info", "unsigned", {**request_info, "act": determine_act}, "sign"),
        Case("extend", "no act", extend, "--prepare"),
        Case("extend", "unsigned", {**extend, "act": determine_act}, "sign"),
    ]


def _registered(process: subprocess.Popen[bytes]) -> dict[str, UUID]:
    """The ids of the act-taking deployments, once `serve` has registered them."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "grantreview serve exited"
        found = asyncio.run(_deployments())["deployments"]
        wanted = {name: found.get(f"{name}/{name}") for name in DEPLOYMENTS}
        if all(d is not None and _accepts_program(d) for d in wanted.values()):
            return {name: deployment.id for name, deployment in wanted.items()}
        time.sleep(0.5)
    pytest.fail("serve did not register the deployments within 120 s")


async def _run_all(deployments: dict[str, UUID], cases: list[Case]) -> list[Ended]:
    """Start every case as the UI's form does; wait until each ends; its state and logs."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415 - after env is set
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId  # noqa: PLC0415

    async with get_client() as client:
        runs = [
            await client.create_flow_run_from_deployment(
                deployments[case.deployment], parameters=case.parameters
            )
            for case in cases
        ]
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            runs = [await client.read_flow_run(run.id) for run in runs]
            if all(run.state is not None and run.state.is_final() for run in runs):
                break
            await asyncio.sleep(1)
        await asyncio.sleep(3)  # the runs' last log lines are sent in batches
        ended = []
        for run in runs:
            logs = await client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))
            )
            ended.append(Ended(run.state, run.run_count, [(g.level, g.message) for g in logs]))
    return ended


def _with_server(office: Office, function: Any, *args: Any) -> Any:  # noqa: ANN401 - any call
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    # Prefect froze its settings at import: point this call at the session's server
    with temporary_settings(updates={PREFECT_API_URL: office.env["PREFECT_API_URL"]}):
        return function(*args)


def _head(line: str) -> str:
    return line.splitlines()[0][:160]


def _problems(case: Case, ended: Ended) -> list[str]:
    """What is wrong with how this run ended (nothing, for a clean one-line refusal)."""
    state, logs = ended.state, ended.logs
    errors = [message for level, message in logs if level >= logging.ERROR]
    message = state.message or ""
    found = [
        f"state {state.type.value} {state.name}" * (not state.is_failed()),
        f"run {ended.run_count} times" * (ended.run_count != 1),
        f"message {message!r}" * (not message.startswith("refused, nothing written: ")),
        "a multi-line message" * ("\n" in message),
        f"does not say {case.says!r}: {message!r}" * (case.says not in message),
        f"{len(errors)} error lines: {[_head(e) for e in errors]}" * (errors != [message]),
        *(f"logged {_head(line)!r}" for _, line in logs if "Traceback" in line),
        *(f"logged {_head(line)!r}" for _, line in logs if "ncountered exception" in line),
    ]
    return [f"{case.deployment} ({case.why}): {problem}" for problem in found if problem]


def test_every_refused_ui_run_ends_in_one_line_without_a_traceback(
    office: Office,
    served: subprocess.Popen[bytes],
    operator_client: S3Client,
    s3_prefix: str,
) -> None:
    """No act, unsigned, malformed, someone else's: Failed once, one error line, no write."""
    _awaiting_determination(office)
    cases = _cases(office)
    deployments = _with_server(office, _registered, served)
    before = count_objects(operator_client, s3_prefix)
    ended = _with_server(office, lambda: asyncio.run(_run_all(deployments, cases)))
    problems = [
        problem for case, end in zip(cases, ended, strict=True) for problem in _problems(case, end)
    ]
    assert not problems, "\n".join(problems)
    assert count_objects(operator_client, s3_prefix) == before
