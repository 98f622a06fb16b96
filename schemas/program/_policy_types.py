"""Shared building blocks of the program file's models: strict, frozen, bounded text."""

# No `from __future__ import annotations`: pydantic reads these annotations at runtime.
from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = ["ConditionId", "IsoDate", "PolicyModel", "QuestionId", "Text"]

# Question ids are CEL identifiers (`answers.<id>`); condition ids may also use hyphens.
QuestionId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
ConditionId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Text = Annotated[str, Field(min_length=1, max_length=10_000)]


def _not_a_number(value: object) -> object:
    # pydantic would read a number as a Unix timestamp; a program date is always written out.
    if isinstance(value, (int, float)):
        raise ValueError("dates are ISO dates such as 2017-08-18")  # noqa: TRY004 - pydantic reports ValueError, not TypeError
    return value


IsoDate = Annotated[date, BeforeValidator(_not_a_number)]


class PolicyModel(BaseModel):
    """Base of every program-file model: unknown keys are errors, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)
