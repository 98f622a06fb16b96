"""Data into Markdown and HTML, and onto terminals, without becoming markup (issue #13).

A mailed letter is rendered from a program's template (policy, trusted as reviewed files)
and data (jurisdiction names, dates, question texts) that an insider may choose. Data is
backslash-escaped into the Markdown, which stays faithful text (it renders to exactly the
value); HTML is rendered with raw HTML off, so not even the template can carry a tag.
`show_controls` makes escape sequences visible wherever data meets a terminal.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

__all__ = ["escape_markdown", "render_markdown_html", "show_controls"]

_INLINE = re.compile(r"([\\`*_\[\]<>&~|])")
"""Characters that open inline markup (emphasis, code, links, autolinks, HTML, entities).

`~` and `|` do nothing in CommonMark, but GFM viewers of the stored record read them as
strike-through and tables; `!` and `(` make an image or link only after an escaped `[`.
"""
_BREAK = re.compile(r"[ \t]*(?:\r\n|\r|\n)[ \t\r\n]*")
"""A line break with the whitespace around it: one break, never a blank line or an indent."""
_LIST_NUMBER = re.compile(r"^(\d{1,9})([.)])")
_BLOCK_START = ("#", "+", "-", "=")
"""What turns a line into a heading, a list item, a thematic break or a setext underline."""
_COMMENT_LINE = re.compile(r"^<!--[\s\S]*?-->[ \t]*$", re.MULTILINE)
_BIDI = (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
"""Marks and embeddings that reorder what a terminal or page shows (Trojan Source)."""
_CONTROLS = [*range(0x20), 0x7F, *range(0x80, 0xA0)]
_VISIBLE: dict[int, str] = {
    **{code: f"\\x{code:02x}" for code in _CONTROLS if chr(code) not in "\n\t"},
    **{code: f"\\u{code:04x}" for code in _BIDI},
}
_VISIBLE_ONE_LINE: dict[int, str] = {**_VISIBLE, ord("\n"): "\\n", ord("\t"): "\\t"}


def show_controls(value: object, *, one_line: bool = False) -> str:
    r"""`value` with its control characters shown as visible escapes such as `\x1b`.

    Control characters are C0 but newline and tab, DEL and C1 (so ESC and CSI), and the
    bidi marks: on a terminal they would clear the screen, forge links or reorder text.
    `one_line` also escapes newline and tab, where a value must not forge another row.
    """
    return str(value).translate(_VISIBLE_ONE_LINE if one_line else _VISIBLE)


def escape_markdown(value: object) -> str:
    """`value` as Markdown text that renders to exactly itself and opens no markup.

    Used as the letter environment's Jinja `finalize`, so every `{{ ... }}` passes here:
    inline markup characters are backslash-escaped, a line break inside the value stays
    one soft break (never a paragraph break, an indented code block or a hard break), and
    each of its lines starts with no block marker (heading, list, quote, rule, fence).
    """
    text = _BREAK.sub("\n", _INLINE.sub(r"\\\1", str(value)))
    lines = [_line_start(line) for line in text.split("\n")]
    lines[0] = _spaces(lines[0], leading=True)
    lines[-1] = _spaces(lines[-1], leading=False)
    return "\n".join(lines)


def _line_start(line: str) -> str:
    numbered = _LIST_NUMBER.match(line)
    if numbered is not None:
        return f"{numbered.group(1)}\\{line[numbered.end(1) :]}"
    if line.startswith(_BLOCK_START):
        return "\\" + line
    return line


def _spaces(line: str, *, leading: bool) -> str:
    """Leading (indented code) or trailing (hard break) blanks as character references."""
    stripped = line.lstrip(" \t") if leading else line.rstrip(" \t")
    if stripped == line:
        return line
    blanks = line[: len(line) - len(stripped)] if leading else line[len(stripped) :]
    shown = "".join("&#9;" if blank == "\t" else "&#32;" for blank in blanks)
    return shown + stripped if leading else stripped + shown


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt  # noqa: PLC0415 - the CLI imports show_controls at start

    # raw HTML off: a tag in the Markdown is shown as text; markdown-it's validateLink
    # already refuses javascript:, vbscript:, file: and non-image data: link targets
    return MarkdownIt("commonmark", {"html": False})


def render_markdown_html(markdown: str) -> str:
    """The HTML that is mailed: no raw HTML passes; whole-line HTML comments are left out.

    A template's comment line (e.g. the slug and GEOID under a letter) stays in the
    Markdown record and, as before, shows nothing in the HTML. Only the template can write
    such a line: a value's `<` is always escaped, so removing it never reveals data.
    """
    rendered: str = _markdown().render(_COMMENT_LINE.sub("", markdown))
    return rendered
