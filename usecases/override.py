"""Override a decision: a person decides, with a reason; later evaluations report, never undo."""

from __future__ import annotations

from typing import Final

from infra.checkpoints import check_before_writing, sign_heads
from infra.clock import utc_now
from infra.eventlog.appender import append_planned
from infra.runtime import Runtime
from schemas.errors import InputError
from schemas.evaluation import Outcome
from schemas.override import plan_override
from schemas.streams import StreamId
from usecases.registry import require_imported

__all__ = ["check_override", "record_override"]

MAX_REASON: Final = 5000
"""The `grantreview.decision.overridden` event's limit on the reason."""
MAX_ACTOR: Final = 200
"""The event's limit on the actor."""


def check_override(decision: str, reason: str, actor: str) -> Outcome:
    """The decision an override records; bad input is refused before any I/O (exit 2)."""
    if decision not in {Outcome.ELIGIBLE.value, Outcome.INELIGIBLE.value}:
        raise InputError("--decision must be eligible or ineligible")
    if not reason.strip() or len(reason) > MAX_REASON:
        raise InputError(f"--reason must be 1-{MAX_REASON} characters")
    if not actor.strip() or len(actor) > MAX_ACTOR:
        raise InputError(f"--actor must be 1-{MAX_ACTOR} characters")
    return Outcome(decision)


def record_override(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    *,
    decision: Outcome,
    reason: str,
    actor: str,
) -> bool:
    """Append the override once and sign a checkpoint over the head; False if already on record.

    The program, the signing key and the jurisdiction are checked before anything is written.
    """
    runtime.program(program)
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    require_imported(runtime, [jurisdiction], label="jurisdiction", hint="")
    stream = StreamId(program=program, jurisdiction=jurisdiction)
    result = append_planned(
        runtime.log,
        runtime.log.state(stream),
        lambda state: plan_override(state, decision, reason, actor),
        time=utc_now(),
        actor=actor,
    )
    sign_heads(runtime, {stream: (result.state.head_seq, result.state.head_hash)})
    return result.written
