"""The respond flow: record a stored response, then evaluate and decide for that stream."""

from __future__ import annotations

from datetime import datetime

from prefect.runtime import flow_run

from flows._flow import grant_flow
from flows.decide import decide_stream
from infra.platform.clock import utc_now
from schemas.base.ids import Slug
from tasks.checkpoints import check_checkpoint_chain
from tasks.programs import store_program_document
from tasks.responses import record_response
from usecases.stream_outcome import StreamOutcome

__all__ = ["respond"]


@grant_flow("respond", run_name="respond-{jurisdiction}")
def respond(
    program: Slug,
    jurisdiction: Slug,
    response_sha256: str,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> StreamOutcome:
    """Record the response stored under `response_sha256` and decide; returns once durable.

    Args:
        program: The grant program the response answers, e.g. psp-2017.
        jurisdiction: The responding jurisdiction's slug, e.g. stockton-ca.
        response_sha256: The SHA-256 of the response document already stored in the log.
        as_of: The date the decision is made for; empty means now.
        known_at: Only what was recorded by this time counts; empty means the same as as_of.
    """
    check_checkpoint_chain()
    moment = as_of or utc_now()
    run_id = flow_run.get_id()
    program_stored = store_program_document.submit(program)
    record_response(program, jurisdiction, response_sha256, flow_run_id=run_id)
    program_stored.result()
    return decide_stream(program, jurisdiction, moment, known_at or moment, run_id)
