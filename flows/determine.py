"""The determine flow: a person's final determination, runnable from the Prefect UI."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flows._flow import grant_flow
from infra.runtime import get_runtime
from usecases.stages import check_act
from usecases.stages import determine as record_determination

__all__ = ["determine"]


@grant_flow("determine")
def determine(  # noqa: PLR0917 - Prefect passes parameters by name; the UI form keeps this order
    program: str,
    jurisdiction: str,
    decision: Literal["eligible", "ineligible"],
    reason: str,
    actor: str,
    as_of: datetime | None = None,
) -> bool:
    """Record the final determination of a stream awaiting one (the evaluation is kept too).

    The same use case as `grantreview determine`; the same determination again appends
    nothing. Returns whether a commit was written.
    """
    outcome = check_act(reason, actor, decision)
    assert outcome is not None  # noqa: S101 - check_act returns one when given a decision
    written, _ = record_determination(
        get_runtime(),
        program,
        jurisdiction,
        decision=outcome,
        reason=reason,
        actor=actor,
        as_of=as_of,
    )
    return written
