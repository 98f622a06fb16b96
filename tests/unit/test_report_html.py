"""The auditor's HTML report: what was audited, findings first, contents, hashes, plain words."""

from __future__ import annotations

import re

from infra.eventlog.memory_store import MemoryObjectStore
from infra.eventlog.store import ObjectStore
from infra.report_html import render_report
from schemas.streams import commit_key
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
    assert report.context.generated_at.isoformat() in html
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


def test_the_last_date_on_the_chart_ends_inside_it() -> None:
    """The last x label is anchored at its end, so it is not cut off at the right edge."""
    scenario = build_scenario(MemoryObjectStore())
    html = _html(scenario.store)
    labels = re.findall(r'<text x="([0-9.]+)" y="[0-9.]+" text-anchor="(\w+)">\d{4}-', html)
    assert labels[-1][1] == "end"
    assert labels[0][1] == "start"
