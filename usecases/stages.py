"""A person's acts in a staged review: determine, request information, extend a deadline.

One function per act, called by the CLI and the deployments alike. Each checks its input
and the stream before anything is written (bad input: InputError, exit 2), records the
act in one commit (`_record`, where the actor's signed act is added, issue #15), sends
the notice it calls for, and signs a checkpoint over the head. Running the same act again
appends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from infra.eventlog.appender import append_planned
from infra.platform.clock import utc_now
from infra.runtime import Runtime
from schemas.base.canonical import format_time
from schemas.base.errors import InputError
from schemas.events.catalog import ActApproved, DomainEvent
from schemas.events.limits import check_reason_and_actor
from schemas.log.state import StreamState
from schemas.log.streams import StreamId
from schemas.people.acts import ActType, SignedAct, approvals_needed
from schemas.planning.draft import CommitDraft
from schemas.planning.stages import plan_determination, plan_extension, plan_information
from schemas.rules.evaluation import Outcome
from usecases.acts import ActRequest, recorded_act, signed_act_for
from usecases.checkpoints import check_before_writing, sign_heads
from usecases.notices import send_notice_for
from usecases.proposals import ActOutcome, propose
from usecases.registry import require_imported
from usecases.valid_time import writing_moment

__all__ = [
    "ActResult",
    "check_act",
    "determine",
    "extend_deadline",
    "request_information",
    "signed_as_of",
]


@dataclass(frozen=True, slots=True)
class ActResult:
    """What a person's act did to the stream.

    `written`: whether a commit was written; `state`: the stream after the act and its
    notice; `proposal`: set when the program asks for approvals, and then nothing was
    written to the stream (the act waits in the program's `_acts` stream).
    """

    written: bool
    state: StreamState
    proposal: ActOutcome | None = None


def check_act(reason: str, actor: str, decision: str | None = None) -> Outcome | None:
    """The checks every act shares, before any I/O; the decision a determination records."""
    check_reason_and_actor(reason, actor)
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
    request: ActRequest,
    approval: ActApproved | None,
    presigned: SignedAct | None = None,
) -> ActResult:
    """Record one act (planned against the stream as read), its notice, and a checkpoint.

    Without `approval` the act is made now: the person's signed act (issue #15) leads the
    commit, or, where the program asks for approvals, the act is proposed instead. With
    `approval` (the `grantreview.act.approved` event) a proposed act takes effect. An act
    already on record is neither signed nor proposed again (one signed elsewhere is still
    checked); a notice still due is sent.
    """
    bundle = runtime.program(program)
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    (row,) = require_imported(runtime, [jurisdiction], label="jurisdiction", hint="")
    stream = StreamId(program=program, jurisdiction=jurisdiction)
    state = runtime.log.state(stream)
    draft = plan(state)  # InputError for an act that does not fit, before anything is written
    leading: DomainEvent | None = approval
    if approval is None and (draft is not None or presigned is not None):
        signed = signed_act_for(runtime, request, actor, presigned)  # a bad act: exit 2
        needed = approvals_needed(bundle.program.approvals or {}, request.type)
        if draft is not None and needed > 1:
            return ActResult(written=False, state=state, proposal=propose(runtime, signed, needed))
        leading = None if signed is None else recorded_act(runtime, signed)
    program_sha = runtime.documents.put(bundle.document())
    result = append_planned(
        runtime.log,
        state,
        lambda current: _with_act(
            draft if current is state else plan(current), leading, program_sha
        ),
        time=utc_now(),
        actor=actor,
    )
    noticed = send_notice_for(
        runtime, bundle, row, result.state, as_of=as_of, flow_run_id=None, actor=actor
    )
    final = noticed.state
    sign_heads(runtime, {stream: (final.head_seq, final.head_hash)})
    return ActResult(written=result.written, state=final)


def _with_act(
    draft: CommitDraft | None, act: DomainEvent | None, program_sha: str
) -> CommitDraft | None:
    if draft is None or act is None:
        return draft
    return CommitDraft(draft.idempotency_key, (act, *draft.payloads), program_sha)


def determine_request(
    program: str, jurisdiction: str, decision: Outcome, reason: str, as_of: datetime | None = None
) -> ActRequest:
    """The act a determination is (what `--prepare` prints and the person signs).

    The date it is made for (`as_of`, default now) is signed too: whoever submits the act
    cannot choose it, and an approval applies it as the proposer dated it.
    """
    params = _dated({"decision": decision.value, "reason": reason}, as_of)
    return ActRequest(ActType.DETERMINE, program, (jurisdiction,), params)


def _dated(params: dict[str, Any], as_of: datetime | None) -> dict[str, Any]:
    """`params` with the date the act is made for (default now), inside the signed bytes."""
    return {**params, "as_of": format_time(as_of or utc_now())}


def signed_as_of(signed: SignedAct | None) -> datetime | None:
    """The `as_of` a signed stage act carries (None: not signed, or an act from before)."""
    text = None if signed is None else signed.act.params.get("as_of")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"the act's as_of {text!r} is not a time") from None


def information_request(  # noqa: PLR0917 - the act's own fields
    program: str,
    jurisdiction: str,
    questions: tuple[str, ...],
    due: date,
    reason: str,
    as_of: datetime | None = None,
) -> ActRequest:
    """The act a request for information is (its date, `as_of`, signed too)."""
    params = {"questions": list(questions), "due": due.isoformat(), "reason": reason}
    return ActRequest(ActType.REQUEST_INFO, program, (jurisdiction,), _dated(params, as_of))


def extension_request(
    program: str, jurisdiction: str, until: date, reason: str, as_of: datetime | None = None
) -> ActRequest:
    """The act an extension is (its date, `as_of`, signed too)."""
    params = {"until": until.isoformat(), "reason": reason}
    return ActRequest(ActType.EXTEND, program, (jurisdiction,), _dated(params, as_of))


def determine(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    *,
    decision: Outcome,
    reason: str,
    actor: str,
    as_of: datetime | None = None,
    approval: ActApproved | None = None,
    presigned: SignedAct | None = None,
) -> ActResult:
    """Record a person's final determination (the latest evaluation is kept beside it).

    Without `as_of`, a signed act's own `as_of` counts (submitted elsewhere, or approved).
    """
    moment = writing_moment(runtime, as_of or signed_as_of(presigned))
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
        request=determine_request(program, jurisdiction, decision, reason, moment),
        approval=approval,
        presigned=presigned,
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
    approval: ActApproved | None = None,
    presigned: SignedAct | None = None,
) -> ActResult:
    """Ask the jurisdiction to answer `questions` (again) by `due`; a notice carries it."""
    if not questions:
        raise InputError("name at least one --question")
    moment = writing_moment(runtime, as_of or signed_as_of(presigned))
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
        request=information_request(program, jurisdiction, questions, due, reason, moment),
        approval=approval,
        presigned=presigned,
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
    approval: ActApproved | None = None,
    presigned: SignedAct | None = None,
) -> ActResult:
    """Move this jurisdiction's deadline in force (letter, answer window or request)."""
    moment = writing_moment(runtime, as_of or signed_as_of(presigned))
    return _record(
        runtime,
        program,
        jurisdiction,
        lambda state: plan_extension(state, until=until, reason=reason, actor=actor),
        actor=actor,
        as_of=moment,
        request=extension_request(program, jurisdiction, until, reason, moment),
        approval=approval,
        presigned=presigned,
    )
