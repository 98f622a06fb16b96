"""Render a court order's preview as one HTML file, in the replay report's style.

The data is `OrderPreview` (schemas/planning/preview.py), the document `preview --json`
prints; this module only lays it out: the order and its footing, who would change and why,
who would not and why, and each revision notice as the text the review pass sends. Names,
reasons and notices are data: autoescaped, their control characters shown as visible
escapes, never markup. No script, nothing external.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import jinja2
import markupsafe

from infra.files.report_html import TEMPLATES, when, write_html
from schemas.base.markup import show_controls

if TYPE_CHECKING:
    from pathlib import Path

    from schemas.planning.preview import OrderPreview

__all__ = ["render_preview", "write_preview"]


def _inert(value: object) -> object:
    """Data's control characters as visible escapes (markup the template built is left be)."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return show_controls(value)
    return value


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_inert,
    )
    environment.filters["when"] = when
    return environment


def render_preview(found: OrderPreview) -> str:
    """The HTML document for `found`."""
    template = _environment().get_template("preview_report.html.j2")
    return template.render(found=found, order=found.court_order)


def write_preview(found: OrderPreview, path: Path) -> None:
    """Write the preview's HTML report to `path`, never through a symbolic link."""
    write_html(render_preview(found), path)
