"""The request-info flow: ask a jurisdiction for answers by a date, from the Prefect UI."""

from __future__ import annotations

from datetime import date, datetime

from flows._flow import grant_flow
from infra.runtime import get_runtime
from usecases.stages import check_act, request_information

__all__ = ["request_info"]


@grant_flow("request-info")
def request_info(  # noqa: PLR0917 - Prefect passes parameters by name; the UI form keeps this order
    program: str,
    jurisdiction: str,
    questions: list[str],
    due: date,
    reason: str,
    actor: str,
    as_of: datetime | None = None,
) -> bool:
    """Ask the jurisdiction to answer `questions` again by `due`; a notice carries the request.

    The same use case as `grantreview request-info`; the same request again appends
    nothing. Returns whether a commit was written.
    """
    check_act(reason, actor)
    written, _ = request_information(
        get_runtime(),
        program,
        jurisdiction,
        questions=tuple(questions),
        due=due,
        reason=reason,
        actor=actor,
        as_of=as_of,
    )
    return written
