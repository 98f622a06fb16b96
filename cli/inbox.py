"""`inbox`: what waits across programs, on whom, by when, with the command that acts on it."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from cli._common import print_json
from cli._options import JsonOption, ProgramsOption, parse_moment, parse_slugs
from cli._render import safe_text
from schemas.base.errors import InputError
from schemas.base.ids import check_slug

__all__ = ["inbox", "parse_days"]

_DAYS = re.compile(r"(\d{1,4})d?")


def parse_days(text: str) -> int:
    """`14d` or `14` as a number of days (up to 9999); anything else is bad input."""
    found = _DAYS.fullmatch(text.strip())
    if found is None:
        raise InputError(f"--due-within {text!r} is not a number of days (14d)")
    return int(found.group(1))


def inbox(
    programs: ProgramsOption = None,
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor",
            envvar="GRANTREVIEW_ACTOR",
            help="Your id in the people file: says what you may act on [GRANTREVIEW_ACTOR].",
        ),
    ] = None,
    due_within: Annotated[
        str, typer.Option("--due-within", metavar="DAYS", help="Look this far ahead (14d).")
    ] = "14d",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", help="What waits on that day (default: now)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """What waits and on whom, oldest first, each with the command that acts on it (no Prefect).

    Answer windows and requests for information closing or overdue, letters unanswered,
    determinations waiting for an official, proposals waiting for approval, and review
    commits no signed checkpoint holds after 15 minutes (integration deferred or failed).
    """
    chosen = parse_slugs(programs, "program id")
    days = parse_days(due_within)
    moment = parse_moment(as_of)
    person = None if actor in {None, "", "cli"} else check_slug(actor or "", "actor id")
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep CLI start-up light
    from usecases.inbox import inbox_items  # noqa: PLC0415

    items = inbox_items(
        get_runtime(), chosen or None, actor=person, due_within_days=days, as_of=moment
    )
    if json_output:
        print_json([item.as_json() for item in items])
        return
    if not items:
        typer.echo(f"nothing waits within {days} days")
        return
    for item in items:
        due = "now" if item.due is None else f"{'overdue ' if item.overdue else ''}{item.due}"
        where = f"{item.program}/{item.jurisdiction}" if item.jurisdiction else item.program
        mine = {True: " [yours]", False: " [not yours]", None: ""}[item.may_act]
        line = f"{due}  {where}  {item.what}; waiting on {item.waiting_on}{mine}"
        typer.echo(safe_text(line, one_line=True))
        typer.echo(safe_text(f"    {item.command}", one_line=True))
    typer.echo(f"{len(items)} item{'s' if len(items) != 1 else ''} waiting")
