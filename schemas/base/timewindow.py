"""The window of sane moments every date input must fall in: 1900-01-01 to 2200-01-01 (UTC).

Python's datetime ends at years 1 and 9999: a moment near either end overflows as soon as
an offset or a deadline is added to it (`0001-01-01T00:00:00+14:00` is before year 1 in
UTC). Grant reviews happen within a human lifetime of now, so anything outside the window
is a typo or an attack, refused as bad input before anything is read or written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final

from schemas.base.errors import InputError

__all__ = ["EARLIEST", "LATEST", "check_moment", "parse_duration"]

_DURATION: Final = re.compile(r"([0-9]{1,6})([smh])", re.ASCII)
_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours"}

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""The first accepted moment (inclusive)."""

LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""The end of the accepted window (exclusive)."""


def check_moment(moment: datetime, what: str) -> datetime:
    """`moment` itself if it is aware and inside the window; else an InputError naming `what`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(f"{what} {moment.isoformat()!r} has no UTC offset; add Z or +hh:mm")
    if not EARLIEST <= moment < LATEST:
        raise InputError(f"{what} {moment.isoformat()!r} is outside 1900-01-01 .. 2200-01-01 (UTC)")
    return moment


def parse_duration(text: str, what: str) -> timedelta:
    """A positive whole number of seconds, minutes or hours (`90s`, `30m`, `2h`), else InputError.

    At most six digits, so no duration overflows a datetime it is subtracted from.
    """
    found = _DURATION.fullmatch(text)
    if found is None or int(found[1]) == 0:
        raise InputError(
            f"{what} {text[:20]!r}: give a whole number of seconds, minutes or hours, "
            "e.g. 90s, 30m, 2h"
        )
    return timedelta(**{_UNITS[found[2]]: int(found[1])})
