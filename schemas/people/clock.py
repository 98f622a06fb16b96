"""The clock policy for people's acts: how far an act's time may be from its recorded time.

A person dates their act (valid time, signed); the writer stamps the commit (recorded
time, never the person's). An act is accepted only if its time lies within
[recorded - max delay, recorded + skew] (docs/log-format.md, "Clock policy"). Each
deployment sets both bounds (`GRANTREVIEW_ACT_SKEW`, `GRANTREVIEW_ACT_MAX_DELAY`) and
the writer records them beside every act, so `audit verify` checks what the writer
enforced. Acts recorded before the policy existed carry none and are held to the bound
their writer enforced then (5 minutes ahead, nothing behind). Pure.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from schemas.base.canonical import format_time
from schemas.people.acts import ActProblem

__all__ = [
    "DEFAULT_MAX_DELAY",
    "DEFAULT_SKEW",
    "LEGACY_SKEW",
    "ClockPolicy",
    "act_time_problem",
]

DEFAULT_SKEW: Final = timedelta(minutes=5)
"""How far ahead of the recorded time an act may be dated (clocks of two machines)."""

DEFAULT_MAX_DELAY: Final = timedelta(hours=24)
"""How long an act signed elsewhere may wait before it is submitted."""

LEGACY_SKEW: Final = timedelta(minutes=5)
"""The only bound writers enforced before the policy was recorded (no lower bound)."""

_MAX_SECONDS: Final = 30 * 24 * 3600


class ClockPolicy(BaseModel):
    """The bounds a writer enforced on an act's time, in whole seconds, recorded beside it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    skew_seconds: int = Field(ge=0, le=_MAX_SECONDS)
    max_delay_seconds: int = Field(ge=0, le=_MAX_SECONDS)

    @classmethod
    def of(cls, skew: timedelta, max_delay: timedelta) -> ClockPolicy:
        """A policy from a deployment's settings."""
        return cls(
            skew_seconds=int(skew.total_seconds()),
            max_delay_seconds=int(max_delay.total_seconds()),
        )


def act_time_problem(
    act_time: datetime, recorded: datetime, policy: ClockPolicy | None
) -> ActProblem | None:
    """Why an act dated `act_time` may not be recorded at `recorded`; None if it may.

    Returns a finding kind (`act_time_out_of_bounds`: dated after the recorded time plus
    the skew; `act_backdated`: dated before it minus the maximum delay) and one line.
    """
    skew = LEGACY_SKEW if policy is None else timedelta(seconds=policy.skew_seconds)
    if act_time > recorded + skew:
        detail = (
            f"the act is dated {format_time(act_time)}, after its recorded time "
            f"{format_time(recorded)} plus the allowed skew of {skew}"
        )
        return ActProblem("act_time_out_of_bounds", detail)
    if policy is None:
        return None
    delay = timedelta(seconds=policy.max_delay_seconds)
    if act_time < recorded - delay:
        detail = (
            f"the act is dated {format_time(act_time)}, more than {delay} before its "
            f"recorded time {format_time(recorded)} (the longest allowed delay)"
        )
        return ActProblem("act_backdated", detail)
    return None
