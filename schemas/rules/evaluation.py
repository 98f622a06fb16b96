"""The result of evaluating a rule set: every condition's status, the outcome and why.

Modelled on OPA's decision log: enough provenance (rule-set version, program and
response hashes, as_of / known_at, orders applied) to re-derive the result later.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.base.canonical import canonical_json, sha256_hex

__all__ = ["ConditionResult", "ConditionStatus", "Evaluation", "Fact", "Outcome"]


class ConditionStatus(StrEnum):
    """How one condition stands for one jurisdiction on one date."""

    MET = "met"
    UNMET = "unmet"
    UNANSWERED = "unanswered"
    NOT_APPLICABLE = "not_applicable"
    WAIVED = "waived"


class Outcome(StrEnum):
    """The decision a review reaches."""

    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    PENDING = "pending"


class ConditionResult(BaseModel):
    """One condition's status, the plain-language reason, and the order or notice waiving it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    source: str
    status: ConditionStatus
    reason: str
    waived_by: str | None = None


class Fact(BaseModel):
    """One fact an evaluation relied on (a rule set, an order or notice) and how sure it is.

    `applied`: the order or notice waived a condition here; false, it was checked (in force,
    or reaching this jurisdiction) and did not apply. Only an uncertain fact carries its
    sources: a documented one's are in the program document the evaluation cites by hash.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["rule_set", "court_order", "notice"]
    id: str
    applied: bool
    certainty: Literal["documented", "uncertain"]
    uncertain_because: str | None = None
    sources: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line: `relies on an uncertain fact: ...` with why and the source."""
        kind = self.kind.replace("_", " ")
        how = "applied" if self.applied else "checked, did not apply"
        if self.kind == "rule_set":
            how = "in force"
        line = f"relies on an uncertain fact: {kind} {self.id} ({how}): {self.uncertain_because}"
        return f"{line}; source: {'; '.join(self.sources)}" if self.sources else line


class Evaluation(BaseModel):
    """A whole rule set evaluated for one response (or none) as of a date, known at a time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    program: str
    jurisdiction: str
    outcome: Outcome
    reasons: tuple[str, ...]
    rule_set_version: int | None
    program_sha256: str
    response_sha256: str | None
    as_of: AwareDatetime
    known_at: AwareDatetime
    conditions: tuple[ConditionResult, ...]
    orders_applied: tuple[str, ...] = ()
    due: date | None = None
    """The response deadline in force, when the review path sets it (None: the program's)."""
    late: bool = False
    """The response came after `due` and the program flags late responses."""
    footing: tuple[Fact, ...] = ()
    """The facts relied on, each with its certainty (empty: a program without footing)."""

    @property
    def uncertain_facts(self) -> tuple[Fact, ...]:
        """The facts this evaluation rests on that the program marks uncertain."""
        return tuple(fact for fact in self.footing if fact.certainty == "uncertain")

    @property
    def decision_id(self) -> str:
        """A stable id: the same inputs and result always give the same id.

        `due`, `late` and `footing` are left out while unset, so evaluations recorded
        before they existed keep their ids.
        """
        unset = {name for name in ("due", "late", "footing") if not getattr(self, name)}
        # Checked by construction: a typed dump, no float or untyped value in it
        # (tests/unit/test_canonical_payloads.py).
        dumped = self.model_dump(mode="json", exclude=unset)
        return sha256_hex(canonical_json(dumped, checked=True))[:32]
