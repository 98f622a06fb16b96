"""Court orders and agency non-enforcement notices: what waives conditions, where and when."""

# No `from __future__ import annotations`: pydantic reads these annotations at runtime.
from datetime import date
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, model_validator

from schemas.base.ids import Slug
from schemas.program._policy_types import ConditionId, IsoDate, PolicyModel, Text
from schemas.program.footing import FactFooting

__all__ = ["CourtOrder", "Notice", "Scope"]


def _scope(value: object) -> object:
    if value == "nationwide":
        return {"nationwide": True}
    if isinstance(value, str):
        # TRY004: pydantic turns ValueError (not TypeError) into a validation error.
        raise ValueError(  # noqa: TRY004
            "scope must be 'nationwide' or a mapping of states and jurisdictions"
        )
    return value


class Scope(PolicyModel):
    """Where an order or notice reaches: everywhere, or listed states and jurisdictions."""

    nationwide: bool = False
    states: tuple[Annotated[str, Field(pattern=r"^[A-Z]{2}$")], ...] = ()
    jurisdictions: tuple[Slug, ...] = ()

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        listed = bool(self.states or self.jurisdictions)
        if self.nationwide == listed:
            raise ValueError("scope must be either nationwide or list states or jurisdictions")
        return self


class Notice(FactFooting):
    """An agency non-enforcement notice: waives conditions for a scope and a period."""

    id: Slug
    title: Text
    issued: IsoDate
    effective_from: IsoDate
    effective_until: IsoDate | None = None
    known_at: IsoDate | None = None
    waives: tuple[ConditionId, ...] = Field(min_length=1)
    scope: Annotated[Scope, BeforeValidator(_scope)]

    @property
    def learned_on(self) -> date:
        """The day the office learned of it (the issue date unless stated)."""
        return self.known_at if self.known_at is not None else self.issued

    @model_validator(mode="after")
    def _interval(self) -> Self:
        if self.effective_until is not None and self.effective_until <= self.effective_from:
            raise ValueError("effective_until must be after effective_from")
        return self


class CourtOrder(Notice):
    """A court order (injunction, judgment) that blocks conditions for a scope and a period."""

    court: Text
    case: Text
    kind: Literal["preliminary_injunction", "permanent_injunction", "declaratory"] | None = None
