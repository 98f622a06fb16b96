"""Record a stored response in its stream: first response, amendment, or nothing if identical."""

from __future__ import annotations

from infra.clock import utc_now
from infra.eventlog.appender import append_planned
from infra.runtime import get_runtime
from schemas.errors import InputError
from schemas.response import parse_response
from schemas.review import plan_response
from schemas.streams import StreamId
from tasks._io import io_task

__all__ = ["record_response"]


@io_task
def record_response(
    program: str, jurisdiction: str, response_sha256: str, flow_run_id: str | None = None
) -> bool:
    """Append the response stored under `response_sha256`; True if a commit was written."""
    runtime = get_runtime()
    raw = runtime.documents.get(response_sha256)
    if raw is None:
        raise InputError(f"no stored response with SHA-256 {response_sha256}")
    response = parse_response(raw)
    response.check_against(
        program=program,
        jurisdiction=jurisdiction,
        question_ids=set(runtime.program(program).program.question_ids()),
    )
    stream = StreamId(program=program, jurisdiction=jurisdiction)
    result = append_planned(
        runtime.log,
        runtime.log.state(stream),
        lambda state: plan_response(state, response, response_sha256),
        time=utc_now(),
        actor=runtime.settings.actor,
        flow_run_id=flow_run_id,
    )
    return result.written
