"""Render the replay report as one self-contained HTML file: inline CSS, SVG and one script.

The data is `ReplayReport` (schemas/replay/report.py), the same `audit replay --json` prints;
this module only lays it out: what was audited, the findings first, decisions by outcome,
a contents list with a filter box (a few lines of inline script; without scripts every
jurisdiction shows), a chart of decisions over time per program and each timeline.

The chart is pygal's (a kept, pure-Python SVG library): step lines drawn as a DateTimeLine,
inlined as static SVG. Its tooltip script, its script of settings, its comments (one carries
the day it ran) are taken out and its element id is the program's, so the same data gives
the same bytes and the page loads nothing from anywhere.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

import jinja2
import markupsafe
import pygal
from pygal.style import Style

from schemas.base.errors import InputError
from schemas.rules.evaluation import Outcome

if TYPE_CHECKING:
    from datetime import datetime
    from xml.etree.ElementTree import Element

    from schemas.replay.report import ReplayReport, SeriesPoint

__all__ = [
    "MAX_TIMELINES",
    "TEMPLATES",
    "check_report_path",
    "render_report",
    "when",
    "write_html",
    "write_report",
]

TEMPLATES: Final = Path(__file__).resolve().parent / "templates"
MAX_TIMELINES: Final = 2000
"""Timelines drawn in the HTML; every jurisdiction is in --json."""
COLOURS: Final = {
    Outcome.ELIGIBLE.value: "#1a7f37",
    Outcome.INELIGIBLE.value: "#cf222e",
    Outcome.PENDING.value: "#8c959f",
}
_STYLE: Final = Style(
    colors=tuple(COLOURS.values()),
    background="#ffffff",
    plot_background="#ffffff",
    font_family="system-ui, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
)


@dataclass(frozen=True)
class Chart:
    """One program's decisions over time: pygal's step lines as inline, inert SVG markup."""

    program: str
    svg: markupsafe.Markup


def _steps(
    outcome: str, points: tuple[SeriesPoint, ...], end: datetime
) -> list[tuple[datetime, int]]:
    """A count that holds until the next point: each point is drawn as a step, not a slope."""
    steps: list[tuple[datetime, int]] = []
    previous = 0
    for point in points:
        count = point.counts.get(outcome, 0)
        steps += [(point.time, previous), (point.time, count)]
        previous = count
    return [*steps, (end, previous)]


def _inert(root: Element) -> Element:
    """Take out pygal's scripts and comments: nothing runs, nothing dated, nothing linked."""
    for parent in [root, *root.iter()]:
        for child in list(parent):
            if not isinstance(child.tag, str) or child.tag.endswith("script"):
                parent.remove(child)
    return root


def _chart(program: str, points: tuple[SeriesPoint, ...]) -> Chart:
    span = max(points[-1].time - points[0].time, timedelta(days=7))
    start, end = points[0].time, points[0].time + span * 1.05
    top = max(1, *(max(point.counts.values(), default=0) for point in points))
    chart = pygal.DateTimeLine(
        js=[],  # no tooltip script from a CDN
        width=720,
        height=280,
        style=_STYLE,
        show_dots=False,
        stroke_style={"width": 2.5},
        disable_xml_declaration=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=len(COLOURS),
        truncate_label=-1,  # a date is never cut to "2017-0…"
        truncate_legend=-1,
        x_label_rotation=20,
        x_value_formatter=lambda moment: moment.date().isoformat(),
        x_labels=[start + (end - start) * i / 4 for i in range(5)],  # five dates, not twelve
        y_labels=sorted({round(top * i / 4) for i in range(5)}),
        value_formatter=lambda count: f"{count:.0f}",
    )
    chart.uuid = re.sub(r"[^a-z0-9-]", "-", program.lower())  # the root id: chart-<program>
    for outcome in COLOURS:
        chart.add(outcome, _steps(outcome, points, end))
    chart.add_xml_filter(_inert)
    return Chart(program, markupsafe.Markup(chart.render(is_unicode=True)))  # noqa: S704 - pygal's SVG, inert


def when(moment: datetime) -> str:
    """A moment to the second, in UTC, with the zone named: `2026-12-06 05:16:31 UTC`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_report(report: ReplayReport, documents: str | None = None) -> str:
    """The HTML document for `report`.

    `documents`: the relative URL of the copy's `documents/sha256/` folder (a replay of a
    downloaded copy), so each "sent" line links to what was sent; without one each says
    how to read it (`grantreview documents show`).
    """
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = when
    charts = [_chart(p, points) for p, points in report.decisions_over_time.items() if points]
    return environment.get_template("replay_report.html.j2").render(
        report=report,
        charts=charts,
        colours=COLOURS,
        outcomes=[outcome.value for outcome in Outcome],
        shown=report.jurisdictions[:MAX_TIMELINES],
        hidden=max(0, len(report.jurisdictions) - MAX_TIMELINES),
        documents=documents,
    )


def check_report_path(path: Path) -> None:
    """Refuse, before any replay, a report path that is a link, a folder or in no folder."""
    if path.is_symlink():
        raise InputError(f"--report {path} is a symbolic link; name a plain file")
    if path.is_dir():
        raise InputError(f"--report {path} is a folder; name a file")
    if not path.parent.is_dir():
        raise InputError(f"--report {path}: folder {path.parent} does not exist")


def write_report(report: ReplayReport, path: Path, documents: Path | None = None) -> None:
    """Write the HTML report to `path` (UTF-8), never through a symbolic link.

    `documents`: the replayed copy's `documents/sha256/` folder, linked relative to `path`.
    """
    check_report_path(path)
    href = None
    if documents is not None and documents.is_dir():
        relative = os.path.relpath(documents.resolve(), path.resolve().parent)
        href = urllib.parse.quote(Path(relative).as_posix())
    write_html(render_report(report, href), path)


def write_html(html: str, path: Path) -> None:
    """Write an HTML report to `path` (UTF-8), never through a symbolic link."""
    check_report_path(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    with os.fdopen(os.open(path, flags, 0o644), "w", encoding="utf-8") as handle:
        handle.write(html)
