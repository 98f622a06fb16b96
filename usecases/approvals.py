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
from typing import TYPE_CHECKING

from schemas.base.canonical import format_time
from schemas.base.errors import InputError
from schemas.events.catalog import ActApproved, ActRejected
from schemas.log.final_record import final_record
from schemas.log.streams import StreamId
from schemas.people import sshsig
from schemas.people.acts import ActRefusedError, ActType, SignedAct
from usecases import stages
from usecases.acts import ActRequest, clock_policy, recorded_act, signed_act_for
from usecases.checkpoints import check_before_writing
from usecases.override import apply_override, override_request
from usecases.proposals import ActOutcome, Pending, append_acts, pending_acts

if TYPE_CHECKING:
    from infra.runtime import Runtime
    from schemas.log.state import StreamState

__all__ = ["approve", "proposal_jurisdiction", "reject"]

Effect = Callable[["Runtime", SignedAct, ActApproved], None]
"""Applies an approved act: appends its effect, with the ActApproved event, to its stream."""


def _find(runtime: Runtime, program: str, act_id: str, jurisdiction: str | None) -> Pending:
    """The open proposal; `jurisdiction`, when a caller names it (a run's name), must be its."""
    found = pending_acts(runtime, program).get(act_id)
    if found is None:
        raise InputError(f"no act {act_id!r} waits for approval in {program!r}")
    if jurisdiction is not None and jurisdiction not in found.proposal.act.subjects:
        raise InputError(f"act {act_id!r} is not about {jurisdiction!r}")
    return found


def proposal_jurisdiction(runtime: Runtime, program: str, act_id: str) -> str | None:
    """The jurisdiction an open proposal is about (None: no such proposal, or none named)."""
    found = pending_acts(runtime, program).get(act_id)
    subjects = () if found is None else found.proposal.act.subjects
    return subjects[0] if subjects else None


def approve(
    runtime: Runtime,
    program: str,
    act_id: str,
    actor: str,
    presigned: SignedAct | None = None,
    *,
    jurisdiction: str | None = None,
) -> ActOutcome:
    """Approve a proposal as `actor`; with enough approvals apply it. Self-approval is refused."""
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    found = _find(runtime, program, act_id, jurisdiction)
    proposal = found.proposal
    if actor == proposal.act.actor:
        raise ActRefusedError(f"refused (self_approval): {actor!r} proposed act {act_id}")
    if actor in found.approvers:
        raise ActRefusedError(f"refused: {actor!r} already approved act {act_id}")
    request = ActRequest(ActType.APPROVE, program, proposal.act.subjects, {"act_id": act_id})
    signed = signed_act_for(runtime, request, actor, presigned, needs=proposal.act.type)
    if signed is None:
        raise InputError("approving needs GRANTREVIEW_PEOPLE_FILE")
    _refuse_shared_key(signed, (proposal, *found.approvals))
    approvals = (*found.approvals, signed)
    if len(approvals) + 1 < found.needed:
        written = append_acts(
            runtime,
            StreamId.acts(program),
            f"approval:{signed.act_id}",
            (recorded_act(runtime, signed),),
        )
        return ActOutcome(act_id=act_id, status="approval recorded", written=written)
    event = ActApproved(proposal=proposal, approvals=approvals, clock=clock_policy(runtime))
    _effect(proposal.act.type)(runtime, proposal, event)
    written = append_acts(runtime, StreamId.acts(program), f"approved:{act_id}", (event,))
    state = runtime.log.state(
        StreamId(program=proposal.act.program, jurisdiction=proposal.act.subjects[0])
    )
    final = final_record(state) if proposal.act.type is ActType.DETERMINE else None
    return ActOutcome(
        act_id=act_id,
        status="approved",
        written=written,
        took_effect=_took_effect(state),
        final=final,
        jurisdiction=proposal.act.subjects[0],
    )


def _took_effect(state: StreamState) -> dict[str, str | None]:
    """Where the stream stands once the approved act applied: what the approver is told.

    The stage, decision and award action in force; the notice the act called for (sent or
    still due); the date the act is for (the proposer's) and the date it was recorded on.
    """
    determination = state.determination
    wanted = state.notice_wanted
    notice = None if wanted is None else ("sent" if wanted[0] in state.notices_sent else "due")
    if wanted is not None and notice is not None:
        notice = f"{notice} ({wanted[1]})"
    return {
        "stage": None if state.stage is None else state.stage.value,
        "decision": state.effective_decision.value,
        "award_action": state.award_action,
        "notice": notice,
        "decided_for": None if determination is None else format_time(determination.as_of),
        "recorded_on": None if state.final_time is None else format_time(state.final_time),
    }


def _refuse_shared_key(signed: SignedAct, earlier: tuple[SignedAct, ...]) -> None:
    """One key is one person, whatever ids it is listed under (a file from before the rule)."""
    key = sshsig.signer_key_blob(signed.signature)
    for other in earlier:
        if sshsig.signer_key_blob(other.signature) == key:
            raise ActRefusedError(
                f"refused (duplicate_key_approval): {signed.act.actor!r} signs with the key "
                f"{other.act.actor!r} already used on this act"
            )


def reject(
    runtime: Runtime,
    program: str,
    act_id: str,
    *,
    reason: str,
    actor: str,
    presigned: SignedAct | None = None,
    jurisdiction: str | None = None,
) -> ActOutcome:
    """Close a proposal without effect, as a person with a role for the act."""
    check_before_writing(runtime)
    found = _find(runtime, program, act_id, jurisdiction)
    if not reason.strip():
        raise InputError("--reason must not be empty")
    params = {"act_id": act_id, "reason": reason}
    request = ActRequest(ActType.REJECT, program, found.proposal.act.subjects, params)
    signed = signed_act_for(runtime, request, actor, presigned, needs=found.proposal.act.type)
    if signed is None:
        raise InputError("rejecting needs GRANTREVIEW_PEOPLE_FILE")
    event = ActRejected(proposal_id=act_id, rejection=signed, clock=clock_policy(runtime))
    written = append_acts(runtime, StreamId.acts(program), f"rejected:{act_id}", (event,))
    return ActOutcome(act_id=act_id, status="rejected", written=written)


def _apply_override(runtime: Runtime, proposal: SignedAct, event: ActApproved) -> None:

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

    act = proposal.act
    params, program, slug = act.params, act.program, act.subjects[0]
    reason = str(params["reason"])
    as_of = stages.signed_as_of(proposal) or act.time  # the proposer's date, never today's
    if act.type is ActType.DETERMINE:
        decision = Outcome(params["decision"])
        stages.determine(
            runtime,
            program,
            slug,
            decision=decision,
            reason=reason,
            actor=act.actor,
            as_of=as_of,
            approval=event,
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
            as_of=as_of,
            approval=event,
        )
    else:
        until = date.fromisoformat(params["until"])
        stages.extend_deadline(
            runtime,
            program,
            slug,
            until=until,
            reason=reason,
            actor=act.actor,
            as_of=as_of,
            approval=event,
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
