"""Render the administrative record's `index.html` and `VERIFY.md` from the gathered packet.

Everything read from the log (names, reasons, documents, signatures) is data: autoescaped
into HTML, its control characters shown as visible escapes, never markup or a terminal
sequence. No script, nothing external: one file of HTML and inline CSS, good on a phone,
a desktop and paper. usecases/record.py gathers the context; the templates lay it out.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from infra.files.report_html import TEMPLATES, when
from schemas.base.markup import show_controls

__all__ = ["render_record", "render_verify_guide"]

_TEXT_LIMIT = 200_000
"""A document larger than this is linked, not inlined, in index.html."""


def _text(body: bytes) -> str | None:
    """A document's text to show inert, or None when it is not UTF-8 text or too large."""
    if len(body) > _TEXT_LIMIT:
        return None
    try:
        return show_controls(body.decode("utf-8"))
    except UnicodeDecodeError:
        return None


@lru_cache(maxsize=2)
def _environment(*, html: bool) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=html,  # noqa: S701 - VERIFY.md is Markdown read as text; data shows its controls
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=lambda value: show_controls(value) if isinstance(value, str) else value,
    )
    environment.filters["when"] = when
    environment.filters["text"] = _text
    environment.filters["one_line"] = lambda value: show_controls(value, one_line=True)
    return environment


def render_record(context: dict[str, Any]) -> str:
    """`index.html`: the certified index first, then every item to read."""
    return _environment(html=True).get_template("record.html.j2").render(**context)


def render_verify_guide(context: dict[str, Any]) -> str:
    """`VERIFY.md`: how to check the packet with stock tools, step by step."""
    return _environment(html=False).get_template("record_verify.md.j2").render(**context)
