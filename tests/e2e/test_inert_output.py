"""Hostile names and reasons through the CLI as a process: exit 0, shown as text, no ESC byte."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.eventlog.appender import append_planned
from infra.platform.clock import utc_now
from infra.platform.settings import get_settings
from infra.runtime import get_runtime
from schemas.events.catalog import DecisionIssued
from schemas.log.state import StreamState
from schemas.log.streams import StreamId
from schemas.planning.draft import CommitDraft
from schemas.rules.evaluation import Outcome
from tests.conftest import run_cli_process

NAME = "[/] [link=https://evil.example]click[/link] <img src=x onerror=alert(1)>"
"""A name the CSV import accepts (no control characters) that Rich would parse as markup."""
ESCAPES = "\x1b[2J\x1b]8;;https://evil.example\x07forged\x1b]8;;\x07 [/]"
"""What an insider can still write where the import does not look: reasons, override text."""
STREAM = StreamId(program="psp-2017", jurisdiction="evil-ca")


def _record_hostile_decision(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """An insider holding the signing key appends a decision whose reasons carry both payloads."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    get_runtime.cache_clear()
    runtime = get_runtime()
    moment = datetime(2017, 8, 20, tzinfo=UTC)
    event = DecisionIssued(
        decision_id="hostile",
        outcome=Outcome.INELIGIBLE,
        reasons=(ESCAPES, NAME),
        rule_set_version=1,
        program_sha256="0" * 64,
        response_sha256=None,
        as_of=moment,
        known_at=moment,
    )

    def plan(_: StreamState) -> CommitDraft:
        return CommitDraft("decision:hostile", (event,))

    result = append_planned(
        runtime.log, runtime.log.state(STREAM), plan, time=utc_now(), actor="insider"
    )
    assert result.written
    get_settings.cache_clear()
    get_runtime.cache_clear()


def test_hostile_text_reaches_the_terminal_inert(
    s3_env: dict[str, str],
    key_files: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`jurisdictions list`, `status` and `explain` exit 0 and show markup and escapes as text."""
    env = {
        **s3_env,
        "GRANTREVIEW_SIGNING_KEY_FILE": str(key_files[0]),
        "GRANTREVIEW_VERIFY_KEY_FILE": str(key_files[1]),
    }
    rows = tmp_path / "jurisdictions.csv"
    rows.write_text(f'slug,name,state,geoid\nevil-ca,"{NAME}",CA,0699999\n', encoding="utf-8")
    imported = run_cli_process(env, "jurisdictions", "import", rows)
    assert imported.code == 0, imported
    _record_hostile_decision(env, monkeypatch)
    overridden = run_cli_process(
        env, "override", "evil-ca", "--program", "psp-2017", "--decision", "eligible",
        "--reason", ESCAPES, "--actor", "insider\x1b[8m",
    )  # fmt: skip
    assert overridden.code == 0, overridden

    listed = run_cli_process(env, "jurisdictions", "list")
    assert listed.code == 0, listed
    assert NAME in listed.stdout
    status = run_cli_process(env, "status", "--program", "psp-2017")
    assert status.code == 0, status
    assert "[link=https://evil.example]" in status.stdout
    assert "\\x1b[2J\\x1b]8;;https://evil.example\\x07forged" in status.stdout
    explained = run_cli_process(env, "explain", "evil-ca", "--program", "psp-2017")
    assert explained.code == 0, explained
    assert "by insider\\x1b[8m: \\x1b[2J\\x1b]8;;https://evil.example\\x07forged" in (
        explained.stdout
    )
    for result in (listed, status, explained):
        assert "\x1b" not in result.stdout + result.stderr
        assert "\x07" not in result.stdout

    as_json = run_cli_process(env, "status", "--program", "psp-2017", "--json")
    assert as_json.code == 0, as_json
    assert json.loads(as_json.stdout)[0]["reasons"] == [ESCAPES, NAME]  # JSON: the data as is
