"""The request-info flow: ask a jurisdiction for answers by a date, from the Prefect UI."""

from __future__ import annotations

from datetime import date, datetime

from flows._flow import grant_flow
from flows._refusal import refused
from infra.runtime import get_runtime
from schemas.base.errors import InputError
from tasks.acts import form_act
from usecases.stages import ActResult, check_act, request_information

__all__ = ["request_info"]


@grant_flow("request-info", run_name="request-info {jurisdiction} {program}")
def request_info(  # noqa: PLR0917 - Prefect passes parameters by name; the form keeps this order
    program: str,
    jurisdiction: str,
    questions: list[str],
    due: date,
    reason: str,
    actor: str,
    as_of: datetime | None = None,
    act: str | None = None,
    signature: str | None = None,
) -> ActResult:
    """Ask the jurisdiction to answer `questions` again by `due`; a notice carries the request.

    The same use case as `grantreview request-info`; the same request again appends
    nothing. Returns what the act did (`written` is False too when it awaits approvals).

    Args:
        program: The grant program, e.g. psp-2017.
        jurisdiction: The jurisdiction's slug, e.g. stockton-ca.
        questions: Question ids of the program to ask again.
        due: The date the answers are due.
        reason: Why, in plain language (the notice says it).
        actor: Your id (in the people file when one is in force).
        as_of: The date of the request; empty means now.
        act: With a people file in force: the act prepared for this request.
        signature: Your SSH signature of the act (ssh-keygen -Y sign -n grantreview).
    """
    try:
        check_act(reason, actor)  # bad input first: nothing read
        runtime = get_runtime()
        chosen = [
            *(f"--question={q}" for q in questions),
            "--due",
            str(due),
            "--reason",
            reason,
            "--actor",
            actor,
        ]
        presigned = form_act(
            runtime,
            "request-info",
            [jurisdiction, "-p", program, *chosen],
            as_of=as_of,
            act=act,
            signature=signature,
        )
        result = request_information(
            runtime,
            program,
            jurisdiction,
            questions=tuple(questions),
            due=due,
            reason=reason,
            actor=actor,
            as_of=as_of,
            presigned=presigned,
        )
    except InputError as error:  # bad input or a refused act: one line, nothing written
        return refused(error)  # type: ignore[no-any-return] # Prefect's Failed state ends it
    return result
