"""How sure the office is of a fact that can change an outcome: its sources and certainty."""

# No `from __future__ import annotations`: pydantic reads these annotations at runtime.
from typing import Literal, Self

from pydantic import model_validator

from schemas.program._policy_types import PolicyModel, Text

__all__ = ["Certainty", "FactFooting", "missing_footing"]

Certainty = Literal["documented", "uncertain"]
"""[D] a public source documents it; [U] an assumption, said why in `uncertain_because`."""


class FactFooting(PolicyModel):
    """How sure the office is of a fact that can change an outcome, and what it rests on.

    Optional in the model so program documents stored before these keys existed still
    parse (and keep their hash); a program folder must state them (`missing_footing`).
    """

    sources: tuple[Text, ...] = ()
    certainty: Certainty | None = None
    uncertain_because: Text | None = None

    @model_validator(mode="after")
    def _because_only_when_uncertain(self) -> Self:
        if self.certainty == "uncertain" and self.uncertain_because is None:
            raise ValueError("certainty: uncertain needs uncertain_because (one line: why)")
        if self.certainty != "uncertain" and self.uncertain_because is not None:
            raise ValueError("uncertain_because is only for certainty: uncertain")
        return self

    def footing_unset(self) -> set[str]:
        """The footing keys left unset: left out of the canonical document, as before."""
        unset = {name for name in ("certainty", "uncertain_because") if getattr(self, name) is None}
        return unset | ({"sources"} if not self.sources else set())


def missing_footing(entry: str, fact: FactFooting) -> str | None:
    """`<entry>: <problem>` when a fact in a program folder lacks sources or certainty."""
    if not fact.sources:
        return f"{entry}: sources: at least one source (a URL or citation and what it supports)"
    if fact.certainty is None:
        return f"{entry}: certainty: documented or uncertain is required"
    return None
