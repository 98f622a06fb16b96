"""The facts an evaluation relied on: the rule set, and every order or notice it checked.

An order or notice is checked when it could waive a condition of the rule set in force
and its scope reaches the jurisdiction: whether it applied then turned on its period, the
day the office learned of it and the conditions it names. An order whose scope leaves the
jurisdiction out is not listed (the footing does not say which part of an entry is
uncertain; an uncertain scope is the one case this misses). Facts whose program entry
states no certainty (program documents stored before `certainty` existed) are left out,
so old evaluations re-derive exactly as recorded.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from schemas.program.definition import CourtOrder
from schemas.rules.evaluation import Fact
from schemas.rules.waivers import covers

if TYPE_CHECKING:
    from schemas.program.definition import Program, RuleSet
    from schemas.program.footing import Certainty, FactFooting
    from schemas.program.jurisdiction import Jurisdiction

__all__ = ["footing"]


@functools.lru_cache(maxsize=1024)
def _fact(  # noqa: PLR0917 - a cache key: every field of the fact
    kind: str,
    fact_id: str,
    applied: bool,
    certainty: Certainty,
    because: str | None,
    sources: tuple[str, ...],
) -> Fact:
    """One shared Fact per distinct value: 20,000 evaluations under one order share it."""
    uncertain = certainty == "uncertain"
    return Fact.model_validate(
        {
            "kind": kind,
            "id": fact_id,
            "applied": applied,
            "certainty": certainty,
            "uncertain_because": because,
            "sources": sources if uncertain else (),
        }
    )


def _of(kind: str, fact_id: str, entry: FactFooting, *, applied: bool) -> Fact | None:
    if entry.certainty is None:
        return None
    return _fact(kind, fact_id, applied, entry.certainty, entry.uncertain_because, entry.sources)


def footing(
    program: Program, rule_set: RuleSet, jurisdiction: Jurisdiction, *, applied: tuple[str, ...]
) -> tuple[Fact, ...]:
    """The rule set, then orders and notices in file order, each with its certainty."""
    facts = [_of("rule_set", f"version {rule_set.version}", rule_set, applied=True)]
    conditions = {condition.id for condition in rule_set.conditions}
    for waiver in (*program.court_orders, *program.notices):
        if conditions.isdisjoint(waiver.waives):
            continue
        if waiver.id in applied or covers(waiver.scope, jurisdiction):
            kind = "court_order" if isinstance(waiver, CourtOrder) else "notice"
            facts.append(_of(kind, waiver.id, waiver, applied=waiver.id in applied))
    return tuple(fact for fact in facts if fact is not None)
