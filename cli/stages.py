"""`determine`, `request-info` and `extend`: a person's acts in a staged review (issue #16).

Thin: parse and check the options, call the one use case (usecases/stages.py), print one
line. Bad input exits 2 with one line and nothing written.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from cli._options import parse_moment
from cli.acts import render_outcome
from schemas.errors import InputError
from schemas.ids import check_slug

if TYPE_CHECKING:
    from usecases.acts import ActRequest
    from usecases.approvals import ActOutcome

__all__ = ["determine", "extend", "request_info"]

Jurisdiction = Annotated[str, typer.Argument(help="Jurisdiction slug.")]
ProgramOption = Annotated[str, typer.Option("--program", "-p", help="Program id.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why, in plain language.")]
ActorOption = Annotated[
    str,
    typer.Option(
        "--actor", envvar="GRANTREVIEW_ACTOR", help="Who acts: your id in the people file."
    ),
]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="When (default now).")]
PrepareOption = Annotated[
    bool, typer.Option("--prepare", help="Print the act's bytes to sign; write nothing.")
]


def _prepare(request: ActRequest, actor: str) -> None:
    """Print the act to sign (`ssh-keygen -Y sign -n grantreview`, then `submit`)."""
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep CLI start-up light
    from usecases.acts import prepare_act  # noqa: PLC0415

    sys.stdout.write(prepare_act(get_runtime(), request, actor).signed_bytes().decode())


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not an ISO date (2017-10-27)") from None


def _check(jurisdiction: str, program: str) -> None:
    check_slug(jurisdiction, "jurisdiction slug")
    check_slug(program, "program id")


def determine(
    jurisdiction: Jurisdiction,
    program: ProgramOption,
    *,
    decision: Annotated[str, typer.Option("--decision", help="eligible or ineligible.")],
    reason: ReasonOption,
    actor: ActorOption,
    as_of: AsOfOption = None,
    prepare: PrepareOption = False,
) -> None:
    """Record the final determination of a stream awaiting one; the evaluation is kept too."""
    _check(jurisdiction, program)
    moment = parse_moment(as_of)
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep CLI start-up light
    from usecases.stages import check_act  # noqa: PLC0415
    from usecases.stages import determine as record  # noqa: PLC0415

    outcome = check_act(reason, actor, decision)
    assert outcome is not None  # noqa: S101 - check_act returns one when given a decision
    if prepare:
        from usecases.stages import determine_request  # noqa: PLC0415

        _prepare(determine_request(program, jurisdiction, outcome, reason), actor)
        return
    result = record(
        get_runtime(),
        program,
        jurisdiction,
        decision=outcome,
        reason=reason,
        actor=actor,
        as_of=moment,
    )
    if _proposed("determination", result.proposal):
        return
    verb = "recorded" if result[0] else "already on record"
    typer.echo(f"determination {verb}: {program} / {jurisdiction} is {outcome.value}")


def request_info(
    jurisdiction: Jurisdiction,
    program: ProgramOption,
    *,
    question: Annotated[list[str], typer.Option("--question", help="Question id (repeatable).")],
    due: Annotated[str, typer.Option("--due", help="Answer due by (ISO date).")],
    reason: ReasonOption,
    actor: ActorOption,
    as_of: AsOfOption = None,
    prepare: PrepareOption = False,
) -> None:
    """Ask the jurisdiction to answer some questions again by a date (a notice carries it)."""
    _check(jurisdiction, program)
    moment = parse_moment(as_of)
    until = _date(due, "--due")
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep CLI start-up light
    from usecases.stages import check_act, request_information  # noqa: PLC0415

    check_act(reason, actor)
    if prepare:
        from usecases.stages import information_request  # noqa: PLC0415

        request = information_request(program, jurisdiction, tuple(question), until, reason)
        _prepare(request, actor)
        return
    result = request_information(
        get_runtime(),
        program,
        jurisdiction,
        questions=tuple(question),
        due=until,
        reason=reason,
        actor=actor,
        as_of=moment,
    )
    if _proposed("request for information", result.proposal):
        return
    verb = "recorded" if result[0] else "already on record"
    typer.echo(f"request for information {verb}: {program} / {jurisdiction} due {until}")


def extend(
    jurisdiction: Jurisdiction,
    program: ProgramOption,
    *,
    until: Annotated[str, typer.Option("--until", help="The new due date (ISO date).")],
    reason: ReasonOption,
    actor: ActorOption,
    as_of: AsOfOption = None,
    prepare: PrepareOption = False,
) -> None:
    """Move this jurisdiction's deadline in force (letter, answer window or request)."""
    _check(jurisdiction, program)
    moment = parse_moment(as_of)
    new_due = _date(until, "--until")
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep CLI start-up light
    from usecases.stages import check_act, extend_deadline  # noqa: PLC0415

    check_act(reason, actor)
    if prepare:
        from usecases.stages import extension_request  # noqa: PLC0415

        _prepare(extension_request(program, jurisdiction, new_due, reason), actor)
        return
    result = extend_deadline(
        get_runtime(),
        program,
        jurisdiction,
        until=new_due,
        reason=reason,
        actor=actor,
        as_of=moment,
    )
    if _proposed("extension", result.proposal):
        return
    verb = "extended" if result[0] else "already extended"
    typer.echo(f"deadline {verb}: {program} / {jurisdiction} due {new_due}")


def _proposed(what: str, proposal: ActOutcome | None) -> bool:
    """Say so when the program asks for approvals and the act now waits for them."""
    if proposal is None:
        return False
    render_outcome(what, proposal, json_output=False)
    return True
