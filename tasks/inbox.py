"""The inbox as a Prefect artifact: what waits after the daily deadline run, in the UI.

The same items `grantreview inbox` prints (`usecases/inbox.py`); every value is
Markdown-escaped, so a name or a reason shows as text, never a link (issue #13).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from prefect.artifacts import create_markdown_artifact

from infra.runtime import get_runtime
from schemas.base.markup import escape_markdown, show_controls
from schemas.planning.inbox import InboxItem
from tasks._io import io_task
from usecases.inbox import inbox_items

__all__ = ["MAX_INBOX_ROWS", "inbox_markdown", "publish_inbox"]

MAX_INBOX_ROWS: Final = 500
"""Rows shown; the rest are counted (`grantreview inbox --json` lists every one)."""


def _text(value: object) -> str:
    return escape_markdown(show_controls(str(value)))


def inbox_markdown(program: str, items: list[InboxItem]) -> str:
    """A table of what waits, oldest first, with the command for each (in a code span)."""
    lines = [f"# {_text(program)}: {len(items)} waiting", ""]
    if not items:
        return "\n".join([*lines, "Nothing waits.", ""])
    lines += ["| due | jurisdiction | what | waiting on | command |", "|---|---|---|---|---|"]
    for item in items[:MAX_INBOX_ROWS]:
        due = "now" if item.due is None else f"{'overdue ' if item.overdue else ''}{item.due}"
        command = item.command.replace("`", "'").replace("|", "/")
        lines.append(
            f"| {due} | {_text(item.jurisdiction or '-')} | {_text(item.what)} "
            f"| {_text(item.waiting_on)} | `{show_controls(command)}` |"
        )
    if len(items) > MAX_INBOX_ROWS:
        lines += ["", f"... and {len(items) - MAX_INBOX_ROWS} more (grantreview inbox --json)."]
    return "\n".join(lines) + "\n"


@io_task
def publish_inbox(program: str, as_of: datetime | None) -> int:
    """Leave the program's inbox as the artifact `inbox-<program>`; returns how many wait."""
    items = inbox_items(get_runtime(), [program], as_of=as_of)
    create_markdown_artifact(
        key=f"inbox-{program}",
        markdown=inbox_markdown(program, items),
        description=f"What waits in {program}, and on whom",
    )
    return len(items)
