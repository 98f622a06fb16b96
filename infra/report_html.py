"""Render the replay report as one self-contained HTML file: inline CSS, SVG and one script.

The data is `ReplayReport` (schemas/report.py), the same `audit replay --json` prints;
this module only lays it out: what was audited, the findings first, decisions by outcome,
a contents list with a filter box (a few lines of inline script; without scripts every
jurisdiction shows), a chart of decisions over time per program and each timeline.

The chart is hand-made SVG (step lines, five dated ticks): static, a few hundred bytes,
identical bytes for identical data, no dependency. A plotting library (matplotlib, pygal)
would add megabytes of dependencies for the same picture, or a script.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

import jinja2

from schemas.errors import InputError
from schemas.evaluation import Outcome

if TYPE_CHECKING:
    from datetime import datetime

    from schemas.report import ReplayReport, SeriesPoint

__all__ = ["MAX_TIMELINES", "check_report_path", "render_report", "write_report"]

TEMPLATES: Final = Path(__file__).resolve().parent / "templates"
MAX_TIMELINES: Final = 2000
"""Timelines drawn in the HTML; every jurisdiction is in --json."""
COLOURS: Final = {
    Outcome.ELIGIBLE.value: "#1a7f37",
    Outcome.INELIGIBLE.value: "#cf222e",
    Outcome.PENDING.value: "#8c959f",
}
_WIDTH, _HEIGHT, _LEFT, _BOTTOM, _TOP, _RIGHT = 720, 220, 48, 28, 12, 16


@dataclass(frozen=True)
class Chart:
    """One program's decisions over time as SVG polylines (step lines) with axis labels."""

    program: str
    lines: dict[str, str]
    x_labels: list[tuple[float, str, str]]
    """(x, date, text-anchor): the first label starts and the last ends at its tick, inside."""
    y_labels: list[tuple[float, str]]
    width: int = _WIDTH
    height: int = _HEIGHT


def _chart(program: str, points: tuple[SeriesPoint, ...]) -> Chart:
    span = max(points[-1].time - points[0].time, timedelta(days=7))
    start = points[0].time - span * 0.05
    end = points[0].time + span * 1.05
    top = max(1, *(max(point.counts.values()) for point in points))
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM

    def x(moment: datetime) -> float:
        return _LEFT + (moment - start) / (end - start) * plot_w

    def y(count: int) -> float:
        return _TOP + plot_h - count / top * plot_h

    lines: dict[str, str] = {}
    for outcome in COLOURS:
        coords: list[str] = []
        previous = 0
        for point in points:
            count = point.counts.get(outcome, 0)
            coords += [
                f"{x(point.time):.1f},{y(previous):.1f}",
                f"{x(point.time):.1f},{y(count):.1f}",
            ]
            previous = count
        coords.append(f"{x(end):.1f},{y(previous):.1f}")
        lines[outcome] = " ".join(coords)
    ticks = [start + (end - start) * i / 4 for i in range(5)]
    anchors = ["start", "middle", "middle", "middle", "end"]
    x_labels = [
        (x(tick), tick.date().isoformat(), anchor)
        for tick, anchor in zip(ticks, anchors, strict=True)
    ]
    y_labels = [(y(round(top * i / 4)), str(round(top * i / 4))) for i in range(5)]
    return Chart(program, lines, x_labels, y_labels)


def render_report(report: ReplayReport) -> str:
    """The HTML document for `report`."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    charts = [_chart(p, points) for p, points in report.decisions_over_time.items() if points]
    return environment.get_template("replay_report.html.j2").render(
        report=report,
        charts=charts,
        colours=COLOURS,
        outcomes=[outcome.value for outcome in Outcome],
        shown=report.jurisdictions[:MAX_TIMELINES],
        hidden=max(0, len(report.jurisdictions) - MAX_TIMELINES),
    )


def check_report_path(path: Path) -> None:
    """Refuse, before any replay, a report path that is a link, a folder or in no folder."""
    if path.is_symlink():
        raise InputError(f"--report {path} is a symbolic link; name a plain file")
    if path.is_dir():
        raise InputError(f"--report {path} is a folder; name a file")
    if not path.parent.is_dir():
        raise InputError(f"--report {path}: folder {path.parent} does not exist")


def write_report(report: ReplayReport, path: Path) -> None:
    """Write the HTML report to `path` (UTF-8), never through a symbolic link."""
    check_report_path(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    with os.fdopen(os.open(path, flags, 0o644), "w", encoding="utf-8") as handle:
        handle.write(render_report(report))
