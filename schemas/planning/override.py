"""Human overrides: a person's decision with a reason, which automation never silently undoes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemas.base.canonical import canonical_json, sha256_hex
from schemas.events.catalog import DecisionOverridden, DomainEvent
from schemas.planning.draft import CommitDraft
from schemas.rules.evaluation import Outcome

if TYPE_CHECKING:
    from schemas.log.state import StreamState

__all__ = ["plan_override"]


def plan_override(
    state: StreamState,
    decision: Outcome,
    reason: str,
    actor: str,
    *,
    act: DomainEvent | None = None,
    program_sha256: str | None = None,
) -> CommitDraft | None:
    """Record an override; repeating the very same override is a no-op.

    `act` is the person's signed act (`grantreview.act.signed`, or `.approved` when a second
    person approved it), recorded first in the same commit (docs/log-format.md, "Acts").
    """
    if decision is Outcome.PENDING:
        raise ValueError("an override decides: eligible or ineligible")
    current = state.override
    if current is not None and (current.decision, current.reason, current.actor) == (
        decision,
        reason,
        actor,
    ):
        return None
    event = DecisionOverridden(
        decision=decision, reason=reason, actor=actor, previous=state.effective_decision
    )
    digest = sha256_hex(canonical_json([state.head_seq, decision.value, reason, actor]))
    payloads: tuple[DomainEvent, ...] = (event,) if act is None else (act, event)
    return CommitDraft(f"override:{digest[:32]}", payloads, program_sha256)
