"""The two-person rule: propose an act, approve or reject it; it takes effect when approved.

A program's `approvals: {override: 2}` makes an act a proposal (`grantreview.act.proposed`
in `{program}/_acts`). A second person with a role for the act runs `grantreview approve`:
their own signed act (`approve`) goes, with the proposal, into the commit that applies the
effect (`grantreview.act.approved`), and the same event closes the proposal. A proposer
cannot approve their own act. Effects are looked up by act type in `_effect`, the one
place a new approvable act (#16's determine, request-info, extend) plugs in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from infra.eventlog.appender import append_planned
from infra.eventlog.checkpoints import check_before_writing, sign_heads
from infra.platform.clock import utc_now
from schemas.base.errors import InputError
from schemas.events.catalog import (
    ActApproved,
    ActProposed,
    ActRejected,
    ActSigned,
    DomainEvent,
    PeopleAdopted,
)
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from schemas.people.acts import ActRefusedError, ActType, SignedAct
from schemas.planning.review import CommitDraft
from usecases.acts import ActRequest, signed_act_for

if TYPE_CHECKING:
    from infra.runtime import Runtime

__all__ = [
    "ActOutcome",
    "Pending",
    "approve",
    "pending_acts",
    "propose",
    "record_act",
    "reject",
]

Effect = Callable[["Runtime", SignedAct, ActApproved], None]
"""Applies an approved act: appends its effect, with the ActApproved event, to its stream."""


@dataclass(frozen=True)
class ActOutcome:
    """What an acting command did: its act id (None unsigned) and recorded/proposed/approved."""

    act_id: str | None
    status: str
    written: bool


@dataclass
class Pending:
    """A proposal waiting for approval, and the approvals it has so far."""

    proposal: SignedAct
    needed: int
    approvals: list[SignedAct] = field(default_factory=list)

    @property
    def approvers(self) -> list[str]:
        """Who approved so far (distinct, in order)."""
        return list(dict.fromkeys(signed.act.actor for signed in self.approvals))


def record_act(runtime: Runtime, stream: StreamId, key: str, event: DomainEvent) -> bool:
    """Append one act event under `key` (once) and sign a checkpoint over the head."""
    return _append(runtime, stream, key, (event,))


def _append(runtime: Runtime, stream: StreamId, key: str, events: tuple[DomainEvent, ...]) -> bool:
    actor = "system"
    for event in events:
        if isinstance(event, (ActSigned, ActProposed, PeopleAdopted)):
            actor = event.signed.act.actor
    result = append_planned(
        runtime.log,
        runtime.log.state(stream),
        lambda _state: CommitDraft(key, events),
        time=utc_now(),
        actor=actor,
    )
    sign_heads(runtime, {stream: (result.state.head_seq, result.state.head_hash)})
    return result.written


def propose(runtime: Runtime, signed: SignedAct | None, needed: int) -> ActOutcome:
    """Record `signed` as proposed; it needs `needed` people in all (a people file is a must)."""
    if signed is None:
        raise InputError("the program asks for approvals: set GRANTREVIEW_PEOPLE_FILE")
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    event = ActProposed(signed=signed, approvals_needed=needed)
    stream = StreamId.acts(signed.act.program)
    written = _append(runtime, stream, f"proposed:{signed.act_id}", (event,))
    return ActOutcome(act_id=signed.act_id, status="proposed", written=written)


def pending_acts(runtime: Runtime, program: str) -> dict[str, Pending]:
    """Open proposals of `program` by act id (neither approved nor rejected)."""
    open_acts: dict[str, Pending] = {}
    for commit in runtime.log.read_stream(StreamId.acts(program)):
        for _, event in decoded_events(commit):
            if isinstance(event, ActProposed):
                open_acts[event.signed.act_id] = Pending(event.signed, event.approvals_needed)
            elif isinstance(event, ActSigned) and event.signed.act.type is ActType.APPROVE:
                found = open_acts.get(str(event.signed.act.params.get("act_id")))
                if found is not None:
                    found.approvals.append(event.signed)
            elif isinstance(event, ActApproved):
                open_acts.pop(event.proposal.act_id, None)
            elif isinstance(event, ActRejected):
                open_acts.pop(event.proposal_id, None)
    return open_acts


def _find(runtime: Runtime, program: str, act_id: str) -> Pending:
    found = pending_acts(runtime, program).get(act_id)
    if found is None:
        raise InputError(f"no act {act_id!r} waits for approval in {program!r}")
    return found


def approve(
    runtime: Runtime, program: str, act_id: str, actor: str, presigned: SignedAct | None = None
) -> ActOutcome:
    """Approve a proposal as `actor`; with enough approvals apply it. Self-approval is refused."""
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    found = _find(runtime, program, act_id)
    proposal = found.proposal
    if actor == proposal.act.actor:
        raise ActRefusedError(f"refused (self_approval): {actor!r} proposed act {act_id}")
    if actor in found.approvers:
        raise ActRefusedError(f"refused: {actor!r} already approved act {act_id}")
    request = ActRequest(ActType.APPROVE, program, proposal.act.subjects, {"act_id": act_id})
    signed = signed_act_for(runtime, request, actor, presigned, needs=proposal.act.type)
    if signed is None:
        raise InputError("approving needs GRANTREVIEW_PEOPLE_FILE")
    approvals = (*found.approvals, signed)
    if len(approvals) + 1 < found.needed:
        written = _append(
            runtime,
            StreamId.acts(program),
            f"approval:{signed.act_id}",
            (ActSigned(signed=signed),),
        )
        return ActOutcome(act_id=act_id, status="approval recorded", written=written)
    event = ActApproved(proposal=proposal, approvals=approvals)
    _effect(proposal.act.type)(runtime, proposal, event)
    written = _append(runtime, StreamId.acts(program), f"approved:{act_id}", (event,))
    return ActOutcome(act_id=act_id, status="approved", written=written)


def reject(
    runtime: Runtime,
    program: str,
    act_id: str,
    *,
    reason: str,
    actor: str,
    presigned: SignedAct | None = None,
) -> ActOutcome:
    """Close a proposal without effect, as a person with a role for the act."""
    check_before_writing(runtime)
    found = _find(runtime, program, act_id)
    if not reason.strip():
        raise InputError("--reason must not be empty")
    params = {"act_id": act_id, "reason": reason}
    request = ActRequest(ActType.REJECT, program, found.proposal.act.subjects, params)
    signed = signed_act_for(runtime, request, actor, presigned, needs=found.proposal.act.type)
    if signed is None:
        raise InputError("rejecting needs GRANTREVIEW_PEOPLE_FILE")
    event = ActRejected(proposal_id=act_id, rejection=signed)
    written = _append(runtime, StreamId.acts(program), f"rejected:{act_id}", (event,))
    return ActOutcome(act_id=act_id, status="rejected", written=written)


def _apply_override(runtime: Runtime, proposal: SignedAct, event: ActApproved) -> None:
    from usecases.override import apply_override, override_request  # noqa: PLC0415 - cycle

    act = proposal.act
    params = act.params
    from schemas.rules.evaluation import Outcome  # noqa: PLC0415

    request = override_request(
        act.program, act.subjects[0], Outcome(params["decision"]), str(params["reason"])
    )
    apply_override(runtime, act.program, act.subjects[0], request, act.actor, act=event)


def _apply_stage(runtime: Runtime, proposal: SignedAct, event: ActApproved) -> None:
    """Apply an approved determine, request-info or extend (issue #16) with its approval."""
    from datetime import date  # noqa: PLC0415

    from schemas.rules.evaluation import Outcome  # noqa: PLC0415
    from usecases import stages  # noqa: PLC0415 - stages proposes through this module

    act = proposal.act
    params, program, slug = act.params, act.program, act.subjects[0]
    reason = str(params["reason"])
    if act.type is ActType.DETERMINE:
        decision = Outcome(params["decision"])
        stages.determine(
            runtime, program, slug, decision=decision, reason=reason, actor=act.actor, act=event
        )
    elif act.type is ActType.REQUEST_INFO:
        stages.request_information(
            runtime,
            program,
            slug,
            questions=tuple(params["questions"]),
            due=date.fromisoformat(params["due"]),
            reason=reason,
            actor=act.actor,
            act=event,
        )
    else:
        until = date.fromisoformat(params["until"])
        stages.extend_deadline(
            runtime, program, slug, until=until, reason=reason, actor=act.actor, act=event
        )


def _effect(act_type: ActType) -> Effect:
    """The effect of an approved act of `act_type`: the one place a new approvable act plugs in."""
    effects: dict[ActType, Effect] = {
        ActType.OVERRIDE: _apply_override,
        ActType.DETERMINE: _apply_stage,
        ActType.REQUEST_INFO: _apply_stage,
        ActType.EXTEND: _apply_stage,
    }
    found = effects.get(act_type)
    if found is None:
        raise InputError(f"{act_type.value} acts cannot be approved yet")
    return found
