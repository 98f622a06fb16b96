"""A Rich progress bar on stderr while a long command runs, only when stderr is a terminal.

Piped or redirected, nothing is drawn (the structlog lines stay machine-readable). The bar
is transient: the table or summary that follows replaces it.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from infra.platform.progress import reporting_to

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.progress import Progress, TaskID

__all__ = ["progress_bar"]


class _RichSink:
    """Forwards reports to one Rich task (Rich's Progress takes updates from any thread)."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress = progress
        self.task = task

    def expect(self, total: int | None, what: str) -> None:
        self.progress.reset(self.task, total=total, description=what)

    def advance(self, count: int = 1) -> None:
        self.progress.advance(self.task, count)


@contextmanager
def progress_bar(what: str, *, force: bool | None = None) -> Iterator[None]:
    """Show progress of the block on a terminal (`force` overrides the terminal test)."""
    from rich.console import Console  # noqa: PLC0415 - keep CLI start-up light

    console = Console(stderr=True)
    shown = console.is_terminal if force is None else force
    if not shown:
        yield
        return
    from rich.progress import (  # noqa: PLC0415 - only on a terminal
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(what, total=None)
        with reporting_to(_RichSink(progress, task)):
            yield
