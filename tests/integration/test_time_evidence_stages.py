"""Time is evidence, for staged reviews, on SeaweedFS and Prefect (issue #22).

No window closed early, no final written ahead of time, no response dated outside its
letter and now, and an approved determination keeps the date its proposer signed. The
writer refuses (exit 2, one line, nothing written); what an insider writes without it
(admin credentials and the system's signing key) `audit replay` finds (exit 1).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from infra.eventlog.appender import append_planned
from infra.platform.clock import utc_now
from infra.platform.settings import Settings
from infra.runtime import Runtime
from schemas.events.catalog import DecisionDetermined
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from schemas.planning.review import plan_decision, plan_response
from schemas.planning.stages import plan_determination
from schemas.program.response import parse_response
from schemas.rules.evaluation import Outcome
from tests.conftest import Cli, CliResult
from tests.integration.test_people import Office
from tests.integration.test_people_staged import office
from tests.integration.test_staged_reviews import FIXTURES, QUESTIONS, SEEDS_CSV, _refused
from usecases.registry import require_imported

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_s3 import S3Client

    from infra.eventlog.log import EventLog
    from localdev.seaweed import SeaweedServer
    from schemas.log.state import StreamState
    from schemas.planning.draft import CommitDraft

__all__ = ["office"]  # a fixture used here by name

SLUG = "stockton-ca"
ACT = ("--reason", "the office read the answer", "--actor", "ojp-reviewer-1")


@pytest.fixture
def staged(
    cli_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """The CLI over the staged test programs, each answerable within 15 days of its letter.

    Letters are dated today, so the shipped fixture's fixed 2017 due date is relaxed.
    """
    programs = tmp_path / "programs"
    shutil.copytree(FIXTURES, programs)
    person = programs / "staged-person" / "program.yaml"
    text = person.read_text().replace("response_due: 2017-08-18", "response_within_days: 15")
    person.write_text(text)
    return Cli({**cli_env, "GRANTREVIEW_PROGRAMS_DIR": str(programs)}, monkeypatch, capsys)


def _response(tmp: Path, program: str, received_at: datetime, name: str) -> Path:
    body = {
        "jurisdiction": SLUG,
        "program": program,
        "received_at": received_at.isoformat(),
        "respondent": {"name": "Office of the Chief", "title": "Chief of Police"},
        "answers": {q: {"answer": "not_applicable"} for q in QUESTIONS},
    }
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(body))
    return path


def _started_today(cli: Cli, tmp: Path, program: str) -> None:
    """Import, a letter dated today, and an answer received now: the window is open."""
    assert cli("jurisdictions", "import", SEEDS_CSV).code == 0
    assert cli("review", SLUG, "-p", program).code == 0
    answered = cli("respond", SLUG, "-p", program, "-f", _response(tmp, program, utc_now(), "now"))
    assert answered.code == 0, answered


def _insider_append(
    cli: Cli,
    seaweed: SeaweedServer,
    program: str,
    plan: Callable[[Runtime, StreamState], CommitDraft | None],
) -> None:
    """Append what `plan` drafts with admin credentials and the system key, unchecked."""
    for name, value in {**cli.env, **seaweed.env("admin")}.items():
        cli.monkeypatch.setenv(name, value)
    runtime = Runtime(Settings())
    stream = StreamId(program=program, jurisdiction=SLUG)

    def drafted(state: StreamState) -> CommitDraft | None:
        draft = plan(runtime, state)
        assert draft is not None
        return draft

    append_planned(runtime.log, runtime.log.state(stream), drafted, time=utc_now(), actor="x")


def _replay_kinds(cli: Cli) -> tuple[int, set[str]]:
    replayed = cli("audit", "replay", "--json")
    return replayed.code, {finding["kind"] for finding in json.loads(replayed.stdout)["findings"]}


def test_a_determination_dated_ahead_is_refused_and_found(
    staged: Cli, tmp_path: Path, operator_client: S3Client, s3_prefix: str, seaweed: SeaweedServer
) -> None:
    """`determine --as-of 2030-01-01` while the answer window is open: refused; written: found."""
    _started_today(staged, tmp_path, "staged-person")
    determine = ("determine", SLUG, "-p", "staged-person", "--decision", "ineligible", *ACT)
    line = _refused(staged, operator_client, s3_prefix, *determine, "--as-of", "2030-01-01")
    assert "--as-of 2030-01-01T00:00:00.000000Z is after now" in line
    assert _replay_kinds(staged) == (0, set())
    future = datetime(2030, 1, 1, tzinfo=UTC)
    _insider_append(
        staged,
        seaweed,
        "staged-person",
        lambda runtime, state: plan_determination(
            state,
            runtime.program("staged-person").program,
            decision=Outcome.INELIGIBLE,
            reason="early",
            actor="x",
            as_of=future,
        ),
    )
    code, kinds = _replay_kinds(staged)
    assert (code, "premature" in kinds) == (1, True), kinds


def test_a_review_dated_ahead_writes_no_early_final_and_one_written_is_found(
    staged: Cli, tmp_path: Path, operator_client: S3Client, s3_prefix: str, seaweed: SeaweedServer
) -> None:
    """`review --as-of` next year would close the window now: refused; written: found."""
    _started_today(staged, tmp_path, "staged-auto")
    ahead = (utc_now() + timedelta(days=365)).date().isoformat()
    line = _refused(
        staged, operator_client, s3_prefix, "review", SLUG, "-p", "staged-auto", "--as-of", ahead
    )
    assert "is after now" in line
    moment = utc_now() + timedelta(days=365)

    def final(runtime: Runtime, state: StreamState) -> CommitDraft | None:
        bundle = runtime.program("staged-auto")
        (row,) = require_imported(runtime, [SLUG])
        return plan_decision(state, bundle, row, as_of=moment, known_at=moment)

    _insider_append(staged, seaweed, "staged-auto", final)
    code, kinds = _replay_kinds(staged)
    assert (code, "premature" in kinds) == (1, True), kinds


def test_a_response_dated_outside_its_letter_and_now_is_refused_and_found(
    staged: Cli, tmp_path: Path, operator_client: S3Client, s3_prefix: str, seaweed: SeaweedServer
) -> None:
    """received_at next year, or before the letter: exit 2 naming the bounds; written: found."""
    program = "staged-person"
    assert staged("jurisdictions", "import", SEEDS_CSV).code == 0
    assert staged("review", SLUG, "-p", program).code == 0
    respond = ("respond", SLUG, "-p", program, "-f")
    later = _response(tmp_path, program, utc_now() + timedelta(days=365), "later")
    line = _refused(staged, operator_client, s3_prefix, *respond, str(later))
    assert "is not between" in line
    assert "(the letter's date) and" in line
    early = _response(tmp_path, program, datetime(2016, 6, 1, tzinfo=UTC), "early")
    assert "is not between" in _refused(staged, operator_client, s3_prefix, *respond, str(early))
    assert _replay_kinds(staged) == (0, set())
    raw = early.read_bytes()

    def recorded(runtime: Runtime, state: StreamState) -> CommitDraft | None:
        digest = runtime.documents.put(raw)
        return plan_response(state, parse_response(raw), digest)

    _insider_append(staged, seaweed, program, recorded)
    code, kinds = _replay_kinds(staged)
    assert (code, "misdated_response" in kinds) == (1, True), kinds


def _answer(office: Office, day: str) -> CliResult:
    path = _response(
        office.tmp, "staged-person", datetime.fromisoformat(f"{day}T12:00:00+00:00"), day
    )
    args = ("respond", SLUG, "-p", "staged-person", "-f", path, "--as-of", f"{day}T13:00:00Z")
    return office.run("olga", *args)


def test_an_approved_determination_keeps_the_date_its_proposer_signed(
    office: Office, s3_event_log: EventLog
) -> None:
    """Dora determines as of 2018-08-06; Dan approves today; the determination is for 2018-08-06."""
    assert office.run("olga", "jurisdictions", "import", SEEDS_CSV).code == 0
    review = ("review", "-p", "staged-person", SLUG, "--as-of", "2017-08-03")
    assert office.run("olga", *review).code == 0
    assert _answer(office, "2017-08-10").code == 0
    determine = ("determine", SLUG, "-p", "staged-person", "--decision", "eligible")
    proposed = office.run("dora", *determine, "--reason", "answered", "--as-of", "2018-08-06")
    assert proposed.code == 0, proposed
    act_id = proposed.stdout.split("(act ", 1)[1].split(")", 1)[0]
    approved = office.run("dan", "approve", act_id, "-p", "staged-person")
    assert approved.code == 0, approved
    told = approved.stdout.splitlines()[-1]
    assert told.startswith("took effect: stage final, decision eligible, award action release")
    assert "decided for 2018-08-06T00:00:00.000000Z, recorded on 20" in told
    assert "award action release" in told
    status = office.run("dan", "status", "-p", "staged-person", SLUG, "--json")
    (row,) = json.loads(status.stdout)
    assert row["decided_for"] == "2018-08-06T00:00:00+00:00"
    commits = s3_event_log.read_stream(StreamId(program="staged-person", jurisdiction=SLUG))
    determined = [
        event
        for commit in commits
        for _, event in decoded_events(commit)
        if isinstance(event, DecisionDetermined)
    ]
    assert [event.as_of for event in determined] == [datetime(2018, 8, 6, tzinfo=UTC)]
    assert office.run("dan", "audit", "verify").code == 0
    assert office.run("dan", "audit", "replay").code == 0
