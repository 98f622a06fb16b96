"""Which court orders and notices waive conditions for a jurisdiction, a date and what was known."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from schemas.program.definition import CourtOrder

if TYPE_CHECKING:
    from schemas.program.definition import Notice, Program, Scope
    from schemas.program.jurisdiction import Jurisdiction

__all__ = ["covers", "describe_waiver", "in_force", "start_of", "waivers_in_force"]


def start_of(day: date) -> datetime:
    """00:00 UTC of an ISO date: the instant a program date begins."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def in_force(effective_from: date, effective_until: date | None, at: datetime) -> bool:
    """Whether `at` falls in [effective_from, effective_until); an open end never closes."""
    if at < start_of(effective_from):
        return False
    return effective_until is None or at < start_of(effective_until)


def covers(scope: Scope, jurisdiction: Jurisdiction) -> bool:
    """Whether an order or notice of this scope reaches the jurisdiction."""
    return (
        scope.nationwide
        or jurisdiction.state in scope.states
        or jurisdiction.slug in scope.jurisdictions
    )


def waivers_in_force(
    program: Program, jurisdiction: Jurisdiction, as_of: datetime, known_at: datetime
) -> tuple[Notice, ...]:
    """Orders then notices, in file order: in force at `as_of`, in scope, known at `known_at`."""
    return tuple(
        waiver
        for waiver in (*program.court_orders, *program.notices)
        if in_force(waiver.effective_from, waiver.effective_until, as_of)
        and start_of(waiver.learned_on) <= known_at
        and covers(waiver.scope, jurisdiction)
    )


def _scope_text(scope: Scope) -> str:
    if scope.nationwide:
        return "nationwide"
    return "for " + ", ".join((*scope.states, *scope.jurisdictions))


def describe_waiver(waiver: Notice) -> str:
    """Plain language: what waived the condition, where, and for which period."""
    until = f"until {waiver.effective_until}" if waiver.effective_until else "with no end date"
    if isinstance(waiver, CourtOrder):
        what = f"court order {waiver.id} ({waiver.title}, {waiver.court} {waiver.case})"
    else:
        what = f"non-enforcement notice {waiver.id} ({waiver.title})"
    # Interned: 20,000 evaluations under one order share one string, not 20,000 copies.
    return sys.intern(
        f"waived by {what}, in force from {waiver.effective_from} {until}, "
        f"{_scope_text(waiver.scope)}"
    )
