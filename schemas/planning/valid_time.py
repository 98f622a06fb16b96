"""Valid time against recorded time: no fact dated after the log learned it (docs/log-format.md).

A writing command's `--as-of`, a determination's date and a response's `received_at` are
valid time and may be historical (a 2017 case entered today); they may never lie after
the recorded time (the commit's `time`, stamped by the writer) plus the clock skew, and a
response is never dated before the letter it answers. The writer refuses such input
(exit 2) and replay reports any that reached the log. Pure.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from schemas.base.canonical import format_time
from schemas.base.errors import InputError

if TYPE_CHECKING:
    from schemas.log.state import StreamState

__all__ = ["check_not_future", "future_problem", "response_time_problem"]


def future_problem(valid: datetime, recorded: datetime, skew: timedelta) -> str | None:
    """Why `valid` may not be recorded at `recorded` (it is later than it plus `skew`)."""
    if valid <= recorded + skew:
        return None
    return (
        f"dated {format_time(valid)}, after it was recorded ({format_time(recorded)}, skew {skew})"
    )


def check_not_future(as_of: datetime, now: datetime, skew: timedelta) -> None:
    """Refuse a writing command's `--as-of` after now (plus skew): exit 2, nothing written."""
    if as_of > now + skew:
        raise InputError(
            f"--as-of {format_time(as_of)} is after now ({format_time(now)}): a writing "
            "command records what is due by now; use status --as-of to look ahead"
        )


def response_time_problem(
    state: StreamState, received_at: datetime, recorded: datetime, skew: timedelta
) -> str | None:
    """Why a response `received_at` may not be recorded at `recorded` in this stream; or None.

    It must lie between the letter's date (00:00 UTC) and the recorded time plus `skew`.
    """
    letter = state.letter
    earliest = None if letter is None else datetime.combine(letter.letter_date, time.min, UTC)
    latest = recorded + skew
    if (earliest is not None and received_at < earliest) or received_at > latest:
        low = "" if earliest is None else f"{format_time(earliest)} (the letter's date) and "
        return (
            f"received_at {format_time(received_at)} is not between {low}"
            f"{format_time(latest)} (its recording plus the allowed skew)"
        )
    return None
