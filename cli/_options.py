"""The CLI's shared options (one definition each) and their parsing before any I/O.

Every command spells the same thing the same way: `--program/-p PROGRAM` (repeatable
where a command reads several programs), `--json`, `--as-of DATE`, jurisdiction slugs as
arguments; every acting command `--prepare`, or `--act FILE --signature FILE` for an act
signed elsewhere (`read_presigned`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from schemas.base.errors import InputError
from schemas.base.ids import check_slug
from schemas.base.timewindow import check_moment, parse_duration

if TYPE_CHECKING:
    from schemas.people.acts import SignedAct

__all__ = [
    "ActFileOption",
    "AsOfOption",
    "DryRunOption",
    "JsonOption",
    "MaxAgeOption",
    "PrepareOption",
    "ProgramOption",
    "ProgramsOption",
    "SignatureFileOption",
    "SlugsArgument",
    "parse_max_age",
    "parse_moment",
    "parse_slugs",
    "read_bounded",
    "read_presigned",
]

MAX_ACT_FILE: Final = 64 * 1024
"""A prepared act or its signature is a few hundred bytes; nothing bigger is read."""

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
MaxAgeOption = Annotated[
    str | None,
    typer.Option(
        "--max-age",
        metavar="DURATION",
        help="Exit 1 when the newest checkpoint is older than this (90s, 30m, 2h; 2h advised: "
        "checkpoints are signed hourly even when idle).",
    ),
]
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Show what would be sent or decided; write nothing."),
]
SlugsArgument = Annotated[
    list[str] | None, typer.Argument(metavar="SLUG", help="Jurisdiction slugs.")
]
PrepareOption = Annotated[
    bool, typer.Option("--prepare", help="Print the act's bytes to sign; write nothing.")
]
ActFileOption = Annotated[
    Path | None,
    typer.Option("--act", metavar="FILE", help="The prepared act, signed elsewhere."),
]
SignatureFileOption = Annotated[
    Path | None,
    typer.Option("--signature", metavar="FILE", help="Its armored SSH signature (with --act)."),
]


def parse_moment(text: str | None, option: str = "--as-of") -> datetime | None:
    """An ISO date (00:00 UTC that day) or an RFC 3339 time with offset; None stays None.

    Only moments from 1900-01-01 to 2200-01-01 are accepted (`schemas.base.timewindow`).
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


def parse_max_age(text: str | None) -> timedelta | None:
    """`--max-age`: a whole number of seconds, minutes or hours (`90s`, `30m`, `2h`)."""
    return None if text is None else parse_duration(text, "--max-age")


def parse_slugs(slugs: list[str] | None, what: str = "jurisdiction slug") -> list[str]:
    """Check every slug before anything is read or written."""
    return [check_slug(slug, what) for slug in slugs or []]


def read_bounded(path: Path, what: str) -> bytes:
    """At most MAX_ACT_FILE bytes of `path`; unreadable or larger is bad input."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_ACT_FILE + 1)
    except OSError as error:
        raise InputError(f"{what} {path}: cannot read: {error.strerror}") from None
    if len(raw) > MAX_ACT_FILE:
        raise InputError(f"{what} {path}: larger than {MAX_ACT_FILE} bytes")
    return raw


def read_presigned(
    act_file: Path | None, signature: Path | None, *, prepare: bool = False
) -> SignedAct | None:
    """The act signed elsewhere that `--act` and `--signature` name (both or neither).

    `--prepare` prints an act to sign, so it never comes with one already signed.
    """
    if act_file is None and signature is None:
        return None
    if act_file is None or signature is None:
        raise InputError("--act and --signature go together")
    if prepare:
        raise InputError("--prepare prints an act to sign; --act records a signed one: not both")
    from schemas.people.acts import Act, SignedAct  # noqa: PLC0415 - keep CLI start-up light

    armored = read_bounded(signature, "signature").decode("ascii", errors="replace")
    return SignedAct(act=Act.from_bytes(read_bounded(act_file, "act")), signature=armored)
