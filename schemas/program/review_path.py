"""A program's review path as policy data: the optional `review:` section of program.yaml.

Without it a program has one stage and a decision is final at evaluation (the
behaviour before staged reviews). With `stages: [preliminary, final]` a decision is
first preliminary, a notice gives the jurisdiction `answer_days` to answer, and the
final determination is made automatically when the window closes or by a person.
"""

# No `from __future__ import annotations`: pydantic reads these annotations at runtime.
import re
from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from schemas.program._policy_types import PolicyModel

__all__ = ["ReviewSpec", "Stage"]

_RELATIVE_FILE = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$"
_ACTION = r"^[a-z][a-z0-9_-]{0,63}$"


class Stage(StrEnum):
    """The stage a decision was made at."""

    PRELIMINARY = "preliminary"
    FINAL = "final"


class ReviewSpec(PolicyModel):
    """How the office runs a review of this program (see issue #16 and programs/README.md)."""

    stages: tuple[Stage, ...] = (Stage.FINAL,)
    answer_days: int | None = Field(default=None, ge=1, le=365, strict=True)
    final: Literal["person", "automatic"] = "automatic"
    late_responses: Literal["accept", "flag", "refuse"] = "accept"
    no_response: Literal["ineligible", "pending"] = "ineligible"
    award_actions: dict[Literal["eligible", "ineligible"], str] = Field(default_factory=dict)
    notice_template: str | None = Field(default=None, pattern=_RELATIVE_FILE)

    @model_validator(mode="after")
    def _path(self) -> Self:
        if self.stages not in {(Stage.FINAL,), (Stage.PRELIMINARY, Stage.FINAL)}:
            raise ValueError("stages must be [final] or [preliminary, final]")
        if self.staged and self.answer_days is None:
            raise ValueError("answer_days is required with a preliminary stage")
        if not self.staged and self.answer_days is not None:
            raise ValueError("answer_days needs a preliminary stage")
        for outcome, action in self.award_actions.items():
            if not _valid_action(action):
                raise ValueError(f"award_actions.{outcome}: {action!r} is not an identifier")
        return self

    @property
    def staged(self) -> bool:
        """Whether a decision is preliminary first (an answer window before the final)."""
        return Stage.PRELIMINARY in self.stages


def _valid_action(action: str) -> bool:
    return re.fullmatch(_ACTION, action) is not None
