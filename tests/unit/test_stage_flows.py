"""The staged-review acts as deployments: typed parameters, the same use cases as the CLI."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from prefect.client.schemas.objects import State

from flows import determine as determine_module
from flows import extend as extend_module
from flows.request_info import request_info
from infra.eventlog.memory_store import MemoryObjectStore
from infra.platform.settings import Settings
from infra.runtime import Runtime
from schemas.log.streams import StreamId
from usecases.imports import import_csv
from usecases.letters import send_letter_for
from usecases.stages import ActResult

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "programs" / "staged"
STREAM = StreamId(program="staged-person", jurisdiction="stockton-ca")


def test_stage_deployments_have_typed_parameters() -> None:
    """The UI form knows the decision's two values, dates as dates and questions as a list."""
    # Imported here: the deployment machinery loads uvicorn and FastAPI, whose loggers
    # tests/unit/test_logging_routes.py expects to meet for the first time itself.
    from prefect.utilities.callables import parameter_schema  # noqa: PLC0415

    from flows.deploy.deployments import stage_deployments  # noqa: PLC0415

    made = {deployment.name: deployment.entrypoint for deployment in stage_deployments()}
    assert made == {
        "determine": "flows.determine.determine",
        "request-info": "flows.request_info.request_info",
        "extend": "flows.extend.extend",
    }
    determine = parameter_schema(determine_module.determine.fn).model_dump()["properties"]
    assert determine["decision"]["enum"] == ["eligible", "ineligible"]
    extend = parameter_schema(extend_module.extend.fn).model_dump()["properties"]
    assert extend["until"]["format"] == "date"
    ask = parameter_schema(request_info.fn).model_dump()
    assert ask["properties"]["questions"]["type"] == "array"
    assert set(ask["required"]) >= {"program", "jurisdiction", "questions", "due", "reason"}


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """A lettered staged-person stream on a memory store, served to the flows' get_runtime."""
    made = Runtime(Settings(s3_prefix="p/", programs_dir=FIXTURES, signing_key_file=None))
    made.__dict__["store"] = MemoryObjectStore()
    import_csv(made, ROOT / "programs" / "psp-2017" / "examples" / "jurisdictions.csv")
    (row,) = [j for j in made.registry().values() if j.slug == STREAM.jurisdiction]
    bundle = made.program(STREAM.program)
    letter_date = datetime(2017, 8, 3, tzinfo=UTC)
    send_letter_for(made, bundle, row, made.log.state(STREAM), as_of=letter_date, flow_run_id=None)
    for module in (determine_module, extend_module):
        monkeypatch.setattr(module, "get_runtime", lambda: made)
    return made


def test_extend_flow_records_once(runtime: Runtime) -> None:
    """The extend flow's body moves the deadline; run again it appends nothing."""

    def act() -> ActResult:
        return extend_module.extend.fn(
            STREAM.program, STREAM.jurisdiction, date(2017, 9, 1), "asked for time", "ojp-1"
        )

    assert act().written is True
    head = runtime.log.state(STREAM).head_seq
    assert act().written is False
    assert (runtime.log.state(STREAM).head_seq, runtime.log.state(STREAM).due) == (
        head,
        date(2017, 9, 1),
    )


def test_determine_flow_refuses_what_the_cli_refuses(runtime: Runtime) -> None:
    """`maybe` and a stream not awaiting a determination end the run Failed, in one line.

    Nothing is written; the state's message says why (no traceback: flows/_refusal.py).
    """
    head = runtime.log.state(STREAM).head_seq
    run = determine_module.determine.fn
    for decision, why in (("maybe", "eligible or ineligible"), ("eligible", "not awaiting")):
        state = run(STREAM.program, STREAM.jurisdiction, decision, "r", "a")  # type: ignore[arg-type]
        assert isinstance(state, State)
        assert state.is_failed()
        assert why in str(state.message)
        assert "\n" not in str(state.message)
    assert runtime.log.state(STREAM).head_seq == head
