"""Every "sent" line of the report and the record packet leads to what was sent (#23)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.files.record_html import render_record
from infra.files.report_html import render_report
from schemas.log.cumulative_checkpoint import Keyring
from tests.unit.test_record_packet import _context
from tests.unit.test_stage_replay import PREFIX, _staged_log
from tests.unit.test_stage_replay import runtime as staged_runtime
from usecases.replay import replay_store

if TYPE_CHECKING:
    from pathlib import Path

    from infra.runtime import Runtime
    from schemas.replay.report import ReplayReport

runtime = staged_runtime  # the staged fixture, under the name the tests ask for


def _sent(report: ReplayReport) -> list[tuple[str, int, str]]:
    """(jurisdiction, commit seq, document hash) of every line that sent something."""
    return [
        (item.jurisdiction, entry.seq, entry.document_sha256)
        for item in report.jurisdictions
        for entry in item.timeline
        if entry.document_sha256 is not None
    ]


def test_letters_and_notices_carry_what_they_sent(runtime: Runtime, tmp_path: Path) -> None:
    """Each letter.sent and notice.sent entry names its stored content; nothing else does."""
    _staged_log(runtime, tmp_path)
    report = replay_store(runtime.store, PREFIX, Keyring(keys=()), workers=2)
    sent = _sent(report)
    kinds = {
        entry.type
        for item in report.jurisdictions
        for entry in item.timeline
        if entry.document_sha256 is not None
    }
    assert kinds == {"letter.sent", "notice.sent"}
    assert all(runtime.documents.get(sha) is not None for _, _, sha in sent)
    stockton = [seq for slug, seq, _ in sent if slug == "stockton-ca"]
    assert len(stockton) == 5  # the letter, two preliminary notices, the request, the final


def test_the_report_links_to_the_copy_or_names_the_command(
    runtime: Runtime, tmp_path: Path
) -> None:
    """With a downloaded copy the line links to the document; without, it says how to read it."""
    _staged_log(runtime, tmp_path)
    report = replay_store(runtime.store, PREFIX, Keyring(keys=()), workers=2)
    slug, seq, sha = _sent(report)[-1]
    linked = render_report(report, "copy/p/documents/sha256")
    assert f'href="copy/p/documents/sha256/{sha}">read what was sent</a>' in linked
    plain = render_report(report)
    program = next(item.program for item in report.jurisdictions if item.jurisdiction == slug)
    assert f"grantreview documents show {slug} -p {program} --seq {seq}" in plain


def test_the_packet_links_each_sent_line_to_its_document(runtime: Runtime, tmp_path: Path) -> None:
    """In index.html a sent line jumps to the document's own section on the page."""
    _staged_log(runtime, tmp_path)
    report = replay_store(runtime.store, PREFIX, Keyring(keys=()), workers=2)
    page = render_record({**_context("Stockton, CA"), "replay": report})
    for _, _, sha in _sent(report):
        assert f'<a href="#documents/sha256/{sha}">read what was sent</a>' in page
