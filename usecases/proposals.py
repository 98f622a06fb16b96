"""Proposals under the two-person rule: record one, list those still open.

Shared by `approvals` (which approves and applies them) and the acting use cases
(`override`, `stages`) that propose, so neither side imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from infra.eventlog.appender import append_planned
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
from schemas.people.acts import ActType, SignedAct
from schemas.planning.draft import CommitDraft
from usecases.acts import clock_policy
from usecases.checkpoints import check_before_writing, sign_heads

if TYPE_CHECKING:
    from infra.runtime import Runtime
    from schemas.log.final_record import FinalRecord

__all__ = ["ActOutcome", "Pending", "append_acts", "pending_acts", "propose", "record_act"]


@dataclass(frozen=True)
class ActOutcome:
    """What an acting command did: its act id (None unsigned) and recorded/proposed/approved."""

    act_id: str | None
    status: str
    written: bool
    took_effect: dict[str, str | None] | None = None
    """What an approval put into effect: decision, award action, notice, decided for/recorded on."""
    final: FinalRecord | None = None
    """The final determination an approved `determine` put into effect (its Prefect event)."""
    jurisdiction: str | None = None
    """The jurisdiction an approved act applied to."""


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
    return append_acts(runtime, stream, key, (event,))


def append_acts(
    runtime: Runtime, stream: StreamId, key: str, events: tuple[DomainEvent, ...]
) -> bool:
    """Append `events` under `key` (once) as the person who signed them; sign a checkpoint."""
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
    event = ActProposed(signed=signed, approvals_needed=needed, clock=clock_policy(runtime))
    stream = StreamId.acts(signed.act.program)
    written = append_acts(runtime, stream, f"proposed:{signed.act_id}", (event,))
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
