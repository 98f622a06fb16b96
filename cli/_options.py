"""Parsing of shared CLI options (dates, program ids, slugs) before any I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime

from schemas.errors import InputError
from schemas.ids import check_slug
from schemas.timewindow import check_moment

__all__ = ["parse_moment", "parse_slugs"]


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
