"""Respond for a jurisdiction: accept the file, record it in the stream, announce it (async)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra.checkpoints import check_before_writing
from infra.clock import utc_now
from infra.errors import DependencyUnavailableError
from infra.eventlog.appender import append_planned
from infra.responses import read_response_file
from infra.runtime import Runtime
from schemas.acts import ActType
from schemas.canonical import sha256_hex
from schemas.errors import InputError
from schemas.events import ActSigned, DomainEvent, ResponseAmended, ResponseReceived
from schemas.response import parse_response
from schemas.review import CommitDraft, plan_response
from schemas.stages import check_not_late
from schemas.state import Step, StreamState
from schemas.streams import StreamId
from usecases.acts import ActRequest, signed_act_for
from usecases.registry import require_imported

__all__ = [
    "Announce",
    "RecordedResponse",
    "accept_response",
    "record_and_announce",
    "record_response",
    "sign_response",
]

Announce = Callable[[str, str, str, str], None]
"""Sends (event type, program, jurisdiction, response SHA-256) to whoever decides next.

Raises `DependencyUnavailableError` when it cannot be delivered.
"""


@dataclass(frozen=True)
class RecordedResponse:
    """The stream after recording, whether a commit was written, and the event announced."""

    state: StreamState
    written: bool
    event: str | None


def accept_response(runtime: Runtime, program: str, jurisdiction: str, path: Path) -> str:
    """Check the file against the program and the registry, store its bytes; their SHA-256.

    Any failure is bad input (exit 2) and nothing is written; the stored bytes are
    content-addressed, so storing them again is harmless.
    """
    raw, response = read_response_file(path)
    bundle = runtime.program(program)
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    response.check_against(
        program=program, jurisdiction=jurisdiction, question_ids=set(bundle.program.question_ids())
    )
    require_imported(runtime, [jurisdiction])
    if bundle.program.review is not None:  # refused before its bytes are stored
        state = runtime.log.state(StreamId(program=program, jurisdiction=jurisdiction))
        if sha256_hex(raw) not in state.response_shas:  # a rerun of a recorded one passes
            check_not_late(state, bundle.program, response.received_at)
    return runtime.documents.put(raw)


def record_response(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    response_sha256: str,
    *,
    flow_run_id: str | None = None,
    act: DomainEvent | None = None,
) -> bool:
    """Append the response stored under `response_sha256`; True if a commit was written.

    First response, amendment, or nothing when identical (idempotent: safe to retry).
    `act` is the person's signed act recording it on the jurisdiction's behalf.
    """
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
        lambda state: _with_act(plan_response(state, response, response_sha256), act),
        time=utc_now(),
        actor=runtime.settings.actor if act is None else _actor(act, runtime.settings.actor),
        flow_run_id=flow_run_id,
    )
    return result.written


def sign_response(
    runtime: Runtime, program: str, jurisdiction: str, response_sha256: str, actor: str
) -> ActSigned | None:
    """The person's signed act of recording this response (None without a people file)."""
    request = ActRequest(
        ActType.RESPOND, program, (jurisdiction,), {"response_sha256": response_sha256}
    )
    signed = signed_act_for(runtime, request, actor)
    return None if signed is None else ActSigned(signed=signed)


def _with_act(draft: CommitDraft | None, act: DomainEvent | None) -> CommitDraft | None:
    if draft is None or act is None:
        return draft
    return CommitDraft(draft.idempotency_key, (act, *draft.payloads), draft.program_sha256)


def _actor(act: DomainEvent, default: str) -> str:
    return act.signed.act.actor if isinstance(act, ActSigned) else default


def record_and_announce(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    response_sha256: str,
    announce: Announce,
    *,
    act: DomainEvent | None = None,
) -> RecordedResponse:
    """Record the response (no flow run) and, while undecided, announce it to `decide`.

    Running it again re-announces while the stream is still undecided.
    """
    written = record_response(runtime, program, jurisdiction, response_sha256, act=act)
    state = runtime.log.state(StreamId(program=program, jurisdiction=jurisdiction))
    event = None
    if state.step is Step.RESPONSE_RECEIVED and state.response is not None:
        amended = isinstance(state.response, ResponseAmended)
        event = ResponseAmended.TYPE if amended else ResponseReceived.TYPE
        try:
            announce(event, program, jurisdiction, state.response.response_sha256)
        except DependencyUnavailableError as error:
            raise DependencyUnavailableError(
                f"response recorded, but {error}; run the same command again to re-send it"
            ) from None
    return RecordedResponse(state=state, written=written, event=event)
