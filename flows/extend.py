"""The extend flow: move one jurisdiction's deadline in force, from the Prefect UI."""

from __future__ import annotations

from datetime import date, datetime

from flows._flow import grant_flow
from flows._refusal import refused
from infra.runtime import get_runtime
from schemas.base.errors import InputError
from tasks.acts import form_act
from usecases.stages import ActResult, check_act, extend_deadline

__all__ = ["extend"]


@grant_flow("extend", run_name="extend {jurisdiction} {program}")
def extend(  # noqa: PLR0917 - Prefect passes parameters by name; the form keeps this order
    program: str,
    jurisdiction: str,
    until: date,
    reason: str,
    actor: str,
    as_of: datetime | None = None,
    act: str | None = None,
    signature: str | None = None,
) -> ActResult:
    """Move the jurisdiction's deadline in force (letter, answer window or request) to `until`.

    The same use case as `grantreview extend`; extending to the date in force appends
    nothing. Returns what the act did (`written` is False too when it awaits approvals).

    Args:
        program: The grant program, e.g. psp-2017.
        jurisdiction: The jurisdiction's slug, e.g. stockton-ca.
        until: The new due date.
        reason: Why, in plain language.
        actor: Your id (in the people file when one is in force).
        as_of: The date of the extension; empty means now.
        act: With a people file in force: the act prepared for this extension.
        signature: Your SSH signature of the act (ssh-keygen -Y sign -n grantreview).
    """
    try:
        check_act(reason, actor)  # bad input first: nothing read
        runtime = get_runtime()
        chosen = ["--until", str(until), "--reason", reason, "--actor", actor]
        presigned = form_act(
            runtime,
            "extend",
            [jurisdiction, "-p", program, *chosen],
            as_of=as_of,
            act=act,
            signature=signature,
        )
        result = extend_deadline(
            runtime,
            program,
            jurisdiction,
            until=until,
            reason=reason,
            actor=actor,
            as_of=as_of,
            presigned=presigned,
        )
    except InputError as error:  # bad input or a refused act: one line, nothing written
        return refused(error)  # type: ignore[no-any-return] # Prefect's Failed state ends it
    return result
