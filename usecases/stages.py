"""A person's acts in a staged review: determine, request information, extend a deadline.

One function per act, called by the CLI and the deployments alike. Each checks its input
and the stream before anything is written (bad input: InputError, exit 2), records the
act in one commit (`_record`, the one place a signature of the actor would be added, see
issue #15), sends the notice it calls for, and signs a checkpoint over the head. Running
the same act again appends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Final

from infra.checkpoints import check_before_writing, sign_heads
from infra.clock import utc_now
from infra.eventlog.appender import append_planned
from infra.notices import send_notice_for
from infra.runtime import Runtime
from schemas.errors import InputError
from schemas.evaluation import Outcome
from schemas.review import CommitDraft
from schemas.stages import plan_determination, plan_extension, plan_information
from schemas.state import StreamState
from schemas.streams import StreamId
from usecases.registry import require_imported

__all__ = [
    "ActResult",
    "check_act",
    "determine",
    "extend_deadline",
    "request_information",
]

MAX_REASON: Final = 5000
MAX_ACTOR: Final = 200

ActResult = tuple[bool, StreamState]
"""Whether a commit was written, and the stream after the act (and its notice)."""


def check_act(reason: str, actor: str, decision: str | None = None) -> Outcome | None:
    """The checks every act shares, before any I/O; the decision a determination records."""
    if not reason.strip() or len(reason) > MAX_REASON:
        raise InputError(f"--reason must be 1-{MAX_REASON} characters")
    if not actor.strip() or len(actor) > MAX_ACTOR:
        raise InputError(f"--actor must be 1-{MAX_ACTOR} characters")
    if decision is None:
        return None
    if decision not in {Outcome.ELIGIBLE.value, Outcome.INELIGIBLE.value}:
        raise InputError("--decision must be eligible or ineligible")
    return Outcome(decision)


def _record(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    plan: Callable[[StreamState], CommitDraft | None],
    *,
    actor: str,
    as_of: datetime,
) -> ActResult:
    """Record one act (planned against the stream as read), its notice, and a checkpoint."""
    bundle = runtime.program(program)
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    (row,) = require_imported(runtime, [jurisdiction], label="jurisdiction", hint="")
    stream = StreamId(program=program, jurisdiction=jurisdiction)
    state = runtime.log.state(stream)
    plan(state)  # raises InputError for an act that does not fit, before anything is written
    result = append_planned(runtime.log, state, plan, time=utc_now(), actor=actor)
    noticed = send_notice_for(
        runtime, bundle, row, result.state, as_of=as_of, flow_run_id=None, actor=actor
    )
    final = noticed.state
    sign_heads(runtime, {stream: (final.head_seq, final.head_hash)})
    return result.written, final


def determine(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    *,
    decision: Outcome,
    reason: str,
    actor: str,
    as_of: datetime | None = None,
) -> ActResult:
    """Record a person's final determination (the latest evaluation is kept beside it)."""
    moment = as_of or utc_now()
    bundle = runtime.program(program)
    return _record(
        runtime,
        program,
        jurisdiction,
        lambda state: plan_determination(
            state, bundle.program, decision=decision, reason=reason, actor=actor, as_of=moment
        ),
        actor=actor,
        as_of=moment,
    )


def request_information(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    *,
    questions: tuple[str, ...],
    due: date,
    reason: str,
    actor: str,
    as_of: datetime | None = None,
) -> ActResult:
    """Ask the jurisdiction to answer `questions` (again) by `due`; a notice carries it."""
    if not questions:
        raise InputError("name at least one --question")
    moment = as_of or utc_now()
    bundle = runtime.program(program)
    return _record(
        runtime,
        program,
        jurisdiction,
        lambda state: plan_information(
            state,
            bundle.program,
            questions=questions,
            due=due,
            reason=reason,
            actor=actor,
            as_of=moment,
        ),
        actor=actor,
        as_of=moment,
    )


def extend_deadline(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    *,
    until: date,
    reason: str,
    actor: str,
    as_of: datetime | None = None,
) -> ActResult:
    """Move this jurisdiction's deadline in force (letter, answer window or request)."""
    return _record(
        runtime,
        program,
        jurisdiction,
        lambda state: plan_extension(state, until=until, reason=reason, actor=actor),
        actor=actor,
        as_of=as_of or utc_now(),
    )
