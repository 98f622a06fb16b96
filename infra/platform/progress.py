"""Progress of long commands for whoever watches: the CLI installs a sink (a Rich bar).

Use cases, tasks and flows report how many streams or objects they expect and each one
done; with no sink installed (a worker, a piped CLI) reporting costs a function call. The
sink is process-wide, not a context variable: chunk tasks report from Prefect's and our own
pool threads.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["ProgressSink", "advance", "expect", "reporting_to"]


class ProgressSink(Protocol):
    """Something that shows progress: told a total (when known), then each item done."""

    def expect(self, total: int | None, what: str) -> None:
        """Work of `total` items (None: not known yet) called `what` begins."""

    def advance(self, count: int = 1) -> None:
        """`count` more items are done."""


_sinks: list[ProgressSink] = []


@contextmanager
def reporting_to(sink: ProgressSink) -> Iterator[None]:
    """Send every report made in this process to `sink` while the block runs."""
    _sinks.append(sink)
    try:
        yield
    finally:
        _sinks.remove(sink)


def expect(total: int | None, what: str) -> None:
    """Announce `total` items of work called `what` (e.g. "reviewing streams")."""
    for sink in _sinks:
        sink.expect(total, what)


def advance(count: int = 1) -> None:
    """Report `count` items done."""
    for sink in _sinks:
        sink.advance(count)
