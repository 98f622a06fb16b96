"""`--max-age`: a log whose newest checkpoint is older than allowed is a finding (exit 1)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from infra.eventlog.memory_store import MemoryObjectStore
from infra.eventlog.tlog_store import read_tlog
from schemas.audit.verify import Freshness, verify_log
from schemas.audit.witness import stale_findings
from schemas.base.errors import InputError
from schemas.base.findings import FindingKind
from schemas.base.timewindow import parse_duration
from tests.conftest import Cli
from tests.unit.test_tlog_integrator import KEYRING, ORIGIN, T0, A, _append, _integrator, _log
from usecases.witness import witness_log

STALE = FindingKind.STALE_CHECKPOINT


@pytest.mark.parametrize(
    ("text", "age"),
    [("90s", timedelta(seconds=90)), ("30m", timedelta(minutes=30)), ("2h", timedelta(hours=2))],
)
def test_durations_in_seconds_minutes_or_hours(text: str, age: timedelta) -> None:
    """`90s`, `30m` and `2h` are what they say."""
    assert parse_duration(text, "--max-age") == age


@pytest.mark.parametrize("text", ["2d", "0h", "1.5h", "-1h", "h", "2 h", "2H", "", "1234567h"])
def test_anything_else_is_bad_input(text: str) -> None:
    """Another unit, zero, a fraction, a sign, space or an absurd number is refused."""
    with pytest.raises(InputError, match="--max-age"):
        parse_duration(text, "--max-age")


def test_a_bad_max_age_exits_2_before_reading_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit witness --max-age 2d`: one line, exit 2, no witness state written."""
    env = {"GRANTREVIEW_S3_ENDPOINT_URL": "http://127.0.0.1:9"}  # nothing to reach anyway
    args = ["audit", "witness", "--state", str(tmp_path / "w"), "--max-age", "2d"]
    result = Cli(env, monkeypatch, capsys)(*args)
    assert (result.code, result.stderr.count("\n")) == (2, 1), result.stderr
    assert "--max-age" in result.stderr
    assert not (tmp_path / "w").exists()


def test_staleness_is_measured_from_the_newest_checkpoint() -> None:
    """Older than allowed (or none at all) is one finding; as old as allowed is none."""
    two_hours = timedelta(hours=2)
    assert stale_findings(T0, Freshness(T0 + two_hours, two_hours)) == []
    (late,) = stale_findings(T0, Freshness(T0 + two_hours + timedelta(seconds=1), two_hours))
    assert late.kind is STALE
    (none,) = stale_findings(None, Freshness(T0, two_hours))
    assert "no checkpoint" in none.detail
    assert stale_findings(T0, None) == []


def _stopped_log() -> MemoryObjectStore:
    """A log whose last checkpoint was signed at T0; nothing since."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 2)
    _integrator(log).integrate(None, time=T0)
    return store


def test_verify_reports_a_stopped_log() -> None:
    """`audit verify --max-age 2h` three hours after the last checkpoint: one finding."""
    store = _stopped_log()
    commits = {key: store.get(key) or b"" for key in store.list_keys("p/streams/")}
    tlog = read_tlog(store, "p/")
    two_hours = timedelta(hours=2)
    fresh = verify_log(
        "p/", commits, {}, KEYRING, tlog=tlog, freshness=Freshness(T0 + two_hours, two_hours)
    )
    assert fresh.ok, fresh.findings
    assert fresh.tlog_time == T0
    later = T0 + timedelta(hours=3)
    stale = verify_log("p/", commits, {}, KEYRING, tlog=tlog, freshness=Freshness(later, two_hours))
    assert [f.kind for f in stale.findings] == [STALE]
    assert not stale.ok


def test_the_witness_reports_a_stopped_log_and_still_remembers_it(tmp_path: Path) -> None:
    """A consistent but stale checkpoint: a finding, and the witness state moves on."""
    store = _stopped_log()

    def witness(hours: int) -> list[FindingKind]:
        moment = T0 + timedelta(hours=hours)
        outcome = witness_log(
            _log(store), origin=ORIGIN, keyring=KEYRING, state=tmp_path, time=moment,
            max_age=timedelta(hours=2),
        )  # fmt: skip
        return [finding.kind for finding in outcome.findings]

    assert witness(1) == []
    assert witness(3) == [STALE]
    assert len(list(tmp_path.iterdir())) == 1
