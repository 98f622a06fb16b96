"""Override a decision: a person decides, with a reason; later evaluations report, never undo."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.eventlog.appender import append_planned
from infra.platform.clock import utc_now
from schemas.base.errors import InputError
from schemas.events.catalog import DomainEvent
from schemas.events.limits import check_reason_and_actor
from schemas.log.streams import StreamId
from schemas.people.acts import ActType, SignedAct, approvals_needed
from schemas.planning.override import plan_override
from schemas.rules.evaluation import Outcome
from usecases.acts import ActRequest, recorded_act, signed_act_for
from usecases.checkpoints import check_before_writing, sign_heads
from usecases.proposals import ActOutcome, propose
from usecases.registry import require_imported

if TYPE_CHECKING:
    from infra.runtime import Runtime

__all__ = ["apply_override", "check_override", "override_request", "record_override"]


def check_override(decision: str, reason: str, actor: str) -> Outcome:
    """The decision an override records; bad input is refused before any I/O (exit 2)."""
    if decision not in {Outcome.ELIGIBLE.value, Outcome.INELIGIBLE.value}:
        raise InputError("--decision must be eligible or ineligible")
    check_reason_and_actor(reason, actor)
    return Outcome(decision)


def override_request(program: str, jurisdiction: str, decision: Outcome, reason: str) -> ActRequest:
    """The act an override is: what the person signs (docs/log-format.md, "Acts")."""
    params = {"decision": decision.value, "reason": reason}
    return ActRequest(ActType.OVERRIDE, program, (jurisdiction,), params)


def record_override(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    *,
    decision: Outcome,
    reason: str,
    actor: str,
    presigned: SignedAct | None = None,
) -> ActOutcome:
    """Record the override (or propose it, when the program asks for approvals).

    The program, the signing key, the jurisdiction and the person's act are checked before
    anything is written.
    """
    bundle = runtime.program(program)
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    require_imported(runtime, [jurisdiction], label="jurisdiction", hint="")
    request = override_request(program, jurisdiction, decision, reason)
    signed = signed_act_for(runtime, request, actor, presigned)
    needed = approvals_needed(bundle.program.approvals or {}, ActType.OVERRIDE)
    if needed > 1:
        return propose(runtime, signed, needed)
    event = None if signed is None else recorded_act(runtime, signed)
    written = apply_override(runtime, program, jurisdiction, request, actor, act=event)
    return ActOutcome(
        act_id=None if signed is None else signed.act_id, status="recorded", written=written
    )


def apply_override(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    request: ActRequest,
    actor: str,
    *,
    act: DomainEvent | None,
) -> bool:
    """Append the override (with its act) once and sign a checkpoint; False if on record."""
    decision = Outcome(request.params["decision"])
    reason = str(request.params["reason"])
    stream = StreamId(program=program, jurisdiction=jurisdiction)
    state = runtime.log.state(stream)  # a damaged or untrusted stream: nothing written
    program_sha = runtime.documents.put(runtime.program(program).document())
    result = append_planned(
        runtime.log,
        state,
        lambda state: plan_override(
            state, decision, reason, actor, act=act, program_sha256=program_sha
        ),
        time=utc_now(),
        actor=actor,
    )
    sign_heads(runtime, {stream: (result.state.head_seq, result.state.head_hash)})
    return result.written
