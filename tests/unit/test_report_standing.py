"""The replay report tells where a review stands: a preliminary result is never shown as decided."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infra.files.report_html import render_report, when
from infra.identity.keys import write_keyring
from infra.runtime import Runtime
from schemas.log.cumulative_checkpoint import Keyring
from schemas.replay.report import ReplayReport
from schemas.rules.evaluation import Outcome
from tests.conftest import Cli
from tests.unit.test_acts import Team
from tests.unit.test_stage_replay import PREFIX, _at, determined, open_request, runtime
from tests.unit.test_staged_acts import team
from tests.unit.test_verify import KEYRING
from usecases.approvals import approve
from usecases.export import export_store
from usecases.replay import replay_store
from usecases.stages import determine
from usecases.status import status_rows

__all__ = ["runtime", "team"]  # the fixtures, imported for pytest
CaptureStr = pytest.CaptureFixture[str]


def _awaiting_information(runtime: Runtime, tmp: Path) -> ReplayReport:
    """Stockton: a preliminary decision, then a request for information still open."""
    open_request(runtime, tmp, "yes")
    return replay_store(runtime.store, PREFIX, Keyring(keys=()), workers=1)


def test_a_review_awaiting_information_is_pending(runtime: Runtime, tmp_path: Path) -> None:
    """Its decision in force is preliminary: pending in the counts, the badge and the label."""
    report = _awaiting_information(runtime, tmp_path)
    (item,) = report.jurisdictions
    assert item.decision is Outcome.ELIGIBLE  # what the preliminary evaluation said
    assert not item.standing.final
    assert item.standing.shown is Outcome.PENDING
    assert item.standing.label == "awaiting information (preliminary: eligible)"
    assert report.decisions == {"staged-person": {"eligible": 0, "ineligible": 0, "pending": 1}}
    html = render_report(report)
    badges = re.findall(r'<span class="badge ([a-z]+)">([^<]*)</span>', html)
    assert ("pending", "awaiting information (preliminary: eligible)") in badges
    assert not [badge for badge in badges if badge[0] in {"eligible", "ineligible"}]
    assert "not final: eligible" in html


def test_the_final_determination_is_shown_final_with_its_award_action(
    runtime: Runtime, tmp_path: Path
) -> None:
    """Once the answer is in and a person determines, the standing is final, with its award."""
    determined(runtime, tmp_path, ("yes", "no"), Outcome.ELIGIBLE)
    report = replay_store(runtime.store, PREFIX, Keyring(keys=()), workers=1)
    (item,) = report.jurisdictions
    assert item.standing.final
    assert item.standing.label == "final: eligible; award action: release"
    assert report.decisions["staged-person"] == {"eligible": 1, "ineligible": 0, "pending": 0}
    assert '<span class="badge eligible">final: eligible; award action: release</span>' in (
        render_report(report)
    )


def test_each_act_in_the_timeline_says_who(team: Team) -> None:
    """A two-person determination reads `proposed by dora, approved by dan`, not `act approved`."""
    dora = team.as_person("dora")
    act = {"decision": Outcome.ELIGIBLE, "reason": "answered", "actor": "dora", "as_of": _at(9, 1)}
    proposal = determine(dora, "staged-person", "stockton-ca", **act).proposal  # type: ignore[arg-type]
    assert proposal is not None
    assert proposal.act_id is not None
    approve(team.as_person("dan"), "staged-person", proposal.act_id, "dan")
    report = replay_store(team.store, "p/", Keyring(keys=()), workers=1)
    summaries = [entry.summary for item in report.jurisdictions for entry in item.timeline]
    assert "determine act proposed by dora, approved by dan" in summaries
    assert not [summary for summary in summaries if summary.startswith("act ")]


def test_audit_replay_prints_the_standing(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: CaptureStr
) -> None:
    """The text line of `audit replay` is the standing, never a bare preliminary outcome."""
    _awaiting_information(runtime, tmp_path)
    export_store(runtime.store, PREFIX, tmp_path / "copy")
    write_keyring(tmp_path / "keys.json", KEYRING)  # any key: these commits are unsigned
    cli = Cli({}, monkeypatch, capsys)
    result = cli(
        "audit", "replay", "--source", tmp_path / "copy", "--verify-key", tmp_path / "keys.json"
    )
    line = "staged-person/stockton-ca: awaiting information (preliminary: eligible) ("
    assert [row for row in result.stdout.splitlines() if row.startswith(line)], result


def test_the_decision_in_force_says_which_date_is_which(runtime: Runtime, tmp_path: Path) -> None:
    """Replay, its HTML and status give the determination's day and the log's day apart."""
    before = datetime.now(UTC) - timedelta(minutes=1)
    determined(runtime, tmp_path, ("yes", "no"), Outcome.ELIGIBLE)
    report = replay_store(runtime.store, PREFIX, Keyring(keys=()), workers=1)
    (item,) = report.jurisdictions
    recorded = item.standing.recorded_on
    assert item.standing.decided_for == _at(9, 11)
    assert recorded is not None
    assert recorded >= before  # the writer's clock, not the 2017 date it is for
    standing = report.as_json()["jurisdictions"][0]["standing"]
    assert standing["decided_for"] == _at(9, 11).isoformat()
    assert standing["recorded_on"] == recorded.isoformat()
    html = render_report(report)
    assert f"decided for {when(_at(9, 11))} (valid time)" in html
    assert f"recorded on {when(recorded)} (the log's clock)" in html
    (row,) = status_rows(runtime, "staged-person", ["stockton-ca"])
    assert (row["decided_for"], row["recorded_on"]) == (
        _at(9, 11).isoformat(),
        recorded.isoformat(),
    )
