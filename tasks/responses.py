"""Record a stored response in its stream: the task over the respond use case's step."""

from __future__ import annotations

from infra.runtime import get_runtime
from tasks._io import io_task
from usecases import respond

__all__ = ["record_response"]


@io_task
def record_response(
    program: str, jurisdiction: str, response_sha256: str, flow_run_id: str | None = None
) -> bool:
    """Append the response stored under `response_sha256`; True if a commit was written."""
    return respond.record_response(
        get_runtime(), program, jurisdiction, response_sha256, flow_run_id=flow_run_id
    )
