"""What a person may write into an event, declared once: the events and the checks share it.

The events' own fields (`DecisionOverridden`, `DecisionDetermined`, `InformationRequested`,
`DeadlineExtended`) are bounded by these; the use cases refuse input past them before any
I/O, with the option's name, instead of a validation error after the stream was read.
"""

from __future__ import annotations

from typing import Final

from schemas.base.errors import InputError

__all__ = ["MAX_ACTOR", "MAX_REASON", "check_reason_and_actor"]

MAX_REASON: Final = 5000
"""The longest reason a person's act records (characters)."""
MAX_ACTOR: Final = 200
"""The longest actor name an act records (characters)."""


def check_reason_and_actor(reason: str, actor: str) -> None:
    """Refuse an empty or blank reason or actor, or one past its limit (InputError, exit 2)."""
    if not reason.strip() or len(reason) > MAX_REASON:
        raise InputError(f"--reason must be 1-{MAX_REASON} characters")
    if not actor.strip() or len(actor) > MAX_ACTOR:
        raise InputError(f"--actor must be 1-{MAX_ACTOR} characters")
