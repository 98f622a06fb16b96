"""The extend flow: move one jurisdiction's deadline in force, from the Prefect UI."""

from __future__ import annotations

from datetime import date, datetime

from flows._flow import grant_flow
from infra.runtime import get_runtime
from usecases.stages import check_act, extend_deadline

__all__ = ["extend"]


@grant_flow("extend")
def extend(  # noqa: PLR0917 - Prefect passes parameters by name; the UI form keeps this order
    program: str,
    jurisdiction: str,
    until: date,
    reason: str,
    actor: str,
    as_of: datetime | None = None,
) -> bool:
    """Move the jurisdiction's deadline in force (letter, answer window or request) to `until`.

    The same use case as `grantreview extend`; extending to the date in force appends
    nothing. Returns whether a commit was written.
    """
    check_act(reason, actor)
    written, _ = extend_deadline(
        get_runtime(), program, jurisdiction, until=until, reason=reason, actor=actor, as_of=as_of
    )
    return written
