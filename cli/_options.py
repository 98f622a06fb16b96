"""The CLI's shared options (one definition each) and their parsing before any I/O.

Every command spells the same thing the same way: `--program/-p PROGRAM` (repeatable
where a command reads several programs), `--json`, `--as-of DATE`, jurisdiction slugs as
arguments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer

from schemas.errors import InputError
from schemas.ids import check_slug
from schemas.timewindow import check_moment

__all__ = [
    "AsOfOption",
    "DryRunOption",
    "JsonOption",
    "ProgramOption",
    "ProgramsOption",
    "SlugsArgument",
    "parse_moment",
    "parse_slugs",
]

ProgramOption = Annotated[
    str, typer.Option("--program", "-p", metavar="PROGRAM", help="Program id, e.g. psp-2017.")
]
ProgramsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--program", "-p", metavar="PROGRAM", help="Only this program (repeatable; default all)."
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", metavar="DATE", help="Date the evaluation is made for (default: now)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Show what would be sent or decided; write nothing."),
]
SlugsArgument = Annotated[
    list[str] | None, typer.Argument(metavar="SLUG", help="Jurisdiction slugs.")
]


def parse_moment(text: str | None, option: str = "--as-of") -> datetime | None:
    """An ISO date (00:00 UTC that day) or an RFC 3339 time with offset; None stays None.

    Only moments from 1900-01-01 to 2200-01-01 are accepted (`schemas.timewindow`).
    """
    if text is None:
        return None
    try:
        if len(text) == len("2017-08-03"):
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{option} {text!r} is not an ISO date (2017-08-03) or time (2017-08-03T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise InputError(f"{option} {text!r} has no UTC offset; add Z or +hh:mm")
    return check_moment(moment, option)


def parse_slugs(slugs: list[str] | None, what: str = "jurisdiction slug") -> list[str]:
    """Check every slug before anything is read or written."""
    return [check_slug(slug, what) for slug in slugs or []]
