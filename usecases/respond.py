"""Respond for a jurisdiction: accept the file, record it in the stream, announce it (async)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra.errors import DependencyUnavailableError
from infra.eventlog.appender import append_planned
from infra.files.responses import read_response_file
from infra.platform.clock import utc_now
from infra.runtime import Runtime
from schemas.base.canonical import sha256_hex
from schemas.base.errors import InputError
from schemas.events.catalog import ActSigned, DomainEvent, ResponseAmended, ResponseReceived
from schemas.log.state import Step, StreamState
from schemas.log.streams import StreamId
from schemas.people.acts import Act, ActType, SignedAct
from schemas.planning.draft import CommitDraft
from schemas.planning.review import plan_response
from schemas.planning.stages import check_not_late
from schemas.planning.valid_time import response_time_problem
from schemas.program.definition import Program
from schemas.program.response import Response, parse_response
from usecases.acts import ActRequest, prepare_act, recorded_act, signed_act_for
from usecases.checkpoints import check_before_writing
from usecases.registry import require_imported

__all__ = [
    "Announce",
    "RecordedResponse",
    "accept_response",
    "accept_signed_response",
    "check_response",
    "prepare_response",
    "record_and_announce",
    "record_response",
    "respond_request",
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
    return runtime.documents.put(check_response(runtime, program, jurisdiction, path))


def accept_signed_response(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    path: Path,
    *,
    actor: str | None = None,
    presigned: SignedAct | None = None,
) -> tuple[str, ActSigned | None]:
    """Check the file, then the person's act for its bytes, then store them; SHA-256 and act.

    A refused act leaves nothing written. `presigned`'s signer acts unless `actor` is named.
    """
    raw = check_response(runtime, program, jurisdiction, path)
    person = actor or (presigned.act.actor if presigned else runtime.settings.actor)
    act = sign_response(
        runtime, program, jurisdiction, sha256_hex(raw), person, presigned=presigned
    )
    return runtime.documents.put(raw), act


def prepare_response(
    runtime: Runtime, program: str, jurisdiction: str, path: Path, actor: str
) -> Act:
    """The act recording this file is, to sign elsewhere; the file is checked, not stored."""
    raw = check_response(runtime, program, jurisdiction, path)
    return prepare_act(runtime, respond_request(program, jurisdiction, sha256_hex(raw)), actor)


def check_response(runtime: Runtime, program: str, jurisdiction: str, path: Path) -> bytes:
    """The file's bytes once every check `accept_response` makes has passed; stores nothing.

    `respond --prepare` signs their SHA-256; a presigned act is checked before they are stored.
    """
    raw, response = read_response_file(path)
    bundle = runtime.program(program)
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    response.check_against(
        program=program, jurisdiction=jurisdiction, question_ids=set(bundle.program.question_ids())
    )
    require_imported(runtime, [jurisdiction])
    state = runtime.log.state(StreamId(program=program, jurisdiction=jurisdiction))
    if sha256_hex(raw) not in state.response_shas:  # a rerun of a recorded one passes
        _check_dates(runtime, state, bundle.program, response)  # before its bytes are stored
    return raw


def _check_dates(
    runtime: Runtime, state: StreamState, program: Program, response: Response
) -> None:
    """`received_at` between the letter's date and now (+ skew), and inside the window.

    Checked where the CLI stores a response and again where any path (a deployment run
    included) records one, so no path records a misdated answer.
    """
    stream = state.stream.name
    problem = response_time_problem(
        state, response.received_at, utc_now(), runtime.settings.act_skew
    )
    if problem is not None:
        raise InputError(f"{stream}: the response's {problem}")
    if program.review is not None:
        check_not_late(state, program, response.received_at)


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
    state = runtime.log.state(stream)
    if response_sha256 not in state.response_shas:
        _check_dates(runtime, state, runtime.program(program).program, response)
    result = append_planned(
        runtime.log,
        state,
        lambda state: _with_act(plan_response(state, response, response_sha256), act),
        time=utc_now(),
        actor=runtime.settings.actor if act is None else _actor(act, runtime.settings.actor),
        flow_run_id=flow_run_id,
    )
    return result.written


def respond_request(program: str, jurisdiction: str, response_sha256: str) -> ActRequest:
    """The act recording a response is: this jurisdiction answered with these bytes."""
    return ActRequest(
        ActType.RESPOND, program, (jurisdiction,), {"response_sha256": response_sha256}
    )


def sign_response(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    response_sha256: str,
    actor: str,
    *,
    presigned: SignedAct | None = None,
) -> ActSigned | None:
    """The person's signed act of recording this response (None without a people file).

    `presigned` is that act signed elsewhere (`respond --prepare`, then `--act/--signature`).
    """
    request = respond_request(program, jurisdiction, response_sha256)
    signed = signed_act_for(runtime, request, actor, presigned)
    return None if signed is None else recorded_act(runtime, signed)


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
