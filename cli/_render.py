r"""Data shown on a terminal is inert: no escape sequence, no Rich markup (issue #13, M2/M3).

Names, reasons and override texts are data an insider may choose. Written raw, `\x1b[2J`
clears the operator's screen and OSC 8 forges a link; handed to Rich as a `str`, `[/]`
raises (exit 70 after the work was recorded) and `[link=...]` becomes a link. Every
non-JSON output path in `cli/` passes data through `safe_text`, and Rich gets `Text`
cells, which it never parses. JSON output needs neither: JSON escapes control characters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemas.base.markup import show_controls

if TYPE_CHECKING:
    from rich.text import Text

__all__ = ["safe_cell", "safe_text"]


def safe_text(value: object, *, one_line: bool = False) -> str:
    r"""`value` with its control characters shown as visible escapes such as `\x1b`.

    Control characters are C0 but newline and tab, DEL and C1 (so ESC and CSI), and the
    bidi marks (`schemas.base.markup.show_controls`). `one_line` also escapes newline and tab,
    for outputs of one line per item, where a value must not forge another row.
    """
    return show_controls(value, one_line=one_line)


def safe_cell(value: object) -> Text:
    """A Rich table cell or line holding `value` as plain text: never parsed as markup."""
    from rich.text import Text  # noqa: PLC0415 - keep CLI start-up light

    return Text(safe_text(value))
