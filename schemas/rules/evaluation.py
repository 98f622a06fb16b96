"""The result of evaluating a rule set: every condition's status, the outcome and why.

Modelled on OPA's decision log: enough provenance (rule-set version, program and
response hashes, as_of / known_at, orders applied) to re-derive the result later.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.base.canonical import canonical_json, sha256_hex

__all__ = ["ConditionResult", "ConditionStatus", "Evaluation", "Outcome"]


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

    @property
    def decision_id(self) -> str:
        """A stable id: the same inputs and result always give the same id.

        `due` and `late` are left out while unset, so evaluations recorded before
        they existed keep their ids.
        """
        unset = {name for name in ("due", "late") if not getattr(self, name)}
        return sha256_hex(canonical_json(self.model_dump(mode="json", exclude=unset)))[:32]
