"""The auditor's HTML report: what was audited, findings first, contents, hashes, plain words."""

from __future__ import annotations

import re

from infra.eventlog.memory_store import MemoryObjectStore
from infra.eventlog.store import ObjectStore
from infra.files.report_html import render_report, when
from schemas.log.streams import commit_key
from tests.unit.test_replay import KEYRING, PREFIX, SLUG, STREAM, build_scenario
from usecases.replay import replay_store


def _html(store: ObjectStore) -> str:
    report = replay_store(store, PREFIX, KEYRING, workers=2, audited="s3://bucket/log/")
    return render_report(report)


def test_the_header_says_what_was_audited() -> None:
    """Log, time, version, key fingerprints, the newest checkpoint to keep, and the counts."""
    scenario = build_scenario(MemoryObjectStore())
    report = replay_store(scenario.store, PREFIX, KEYRING, workers=2, audited="s3://bucket/log/")
    html = render_report(report)
    assert "s3://bucket/log/" in html
    assert report.context is not None
    assert when(report.context.generated_at) in html
    assert when(report.context.generated_at).endswith(" UTC")  # to the second, zone named
    assert f"by grantreview {report.context.version}" in html
    assert KEYRING.keys[0].fingerprint in html
    newest = report.newest_checkpoint
    assert newest is not None
    assert f"--expect-checkpoint {newest.seq}:{newest.signature}" in html
    assert f"{report.streams} streams, {report.commits} commits" in html
    assert report.as_json()["newest_checkpoint"]["signature"] == newest.signature


def test_findings_come_first_and_every_jurisdiction_is_in_the_contents() -> None:
    """A damaged log's findings precede the chart and timelines; the contents link each one."""
    scenario = build_scenario(MemoryObjectStore())
    store = scenario.store
    assert isinstance(store, MemoryObjectStore)
    key = commit_key(PREFIX, STREAM, 3)
    del store._objects[key]
    store._keys.remove(key)
    html = _html(store)
    findings = html.index('<h2 id="findings">')
    assert findings < html.index("<h2>Decisions over time</h2>")
    assert html.index("missing", findings) < html.index('<h2 id="jurisdictions">')
    assert f'href="#{STREAM.program}--{SLUG}"' in html
    assert 'id="filter"' in html


def test_evaluations_show_their_program_and_response_hashes_in_plain_words() -> None:
    """Each evaluation and decision names the documents it rests on; no cryptic `sent (none)`."""
    scenario = build_scenario(MemoryObjectStore())
    html = _html(scenario.store)
    assert re.search(r"program [0-9a-f]{64} · response [0-9a-f]{64}", html)
    assert "sent (none)" not in html
    assert "not mailed" in html or "mailed" in html


def _svg(html: str) -> str:
    return html[html.index("<svg") : html.index("</svg>") + len("</svg>")]


def test_the_chart_is_pygal_svg_that_runs_and_loads_nothing() -> None:
    """The chart is pygal's, inline: no script, no comment, no link but the SVG namespace."""
    scenario = build_scenario(MemoryObjectStore())
    svg = _svg(_html(scenario.store))
    assert 'class="pygal-chart"' in svg
    assert "<script" not in svg
    assert "<!--" not in svg
    assert re.findall(r"https?://[^\"' ]*", svg) == ["http://www.w3.org/2000/svg"]
    assert "xml-stylesheet" not in svg
    for colour in ("#1a7f37", "#cf222e", "#8c959f"):  # eligible, ineligible, pending
        assert colour in svg


def test_the_chart_has_the_same_bytes_for_the_same_data() -> None:
    """Two renders of one log give one chart (no random id, no date of the run)."""
    first = _svg(_html(build_scenario(MemoryObjectStore()).store))
    second = _svg(_html(build_scenario(MemoryObjectStore()).store))
    assert first == second
    assert 'id="chart-jag-fy2017"' in first


def _number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return float(found.group(1))


def test_the_chart_dates_are_whole_and_fit_inside_it() -> None:
    """Five whole ISO dates on the x axis, none cut short, the last one inside the width."""
    scenario = build_scenario(MemoryObjectStore())
    svg = _svg(_html(scenario.store))
    dates = re.findall(r'<text x="([0-9.]+)"[^>]*rotate\(20[^>]*>([^<]*)</text>', svg)
    assert len(dates) == 5
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) for _, text in dates)
    view_width = _number(r'viewBox="0 0 ([0-9.]+) ', svg)
    plot_left = _number(r'transform="translate\(([0-9.]+), [0-9.]+\)" class="plot"', svg)
    last_x = float(dates[-1][0])
    label_width = 10 * 13 * 0.62  # ten characters at 13 px, rotated 20 degrees: narrower
    assert plot_left + last_x + label_width < view_width
