"""Staged reviews end to end on SeaweedFS, a Prefect server and a test SMTP server (issue #16).

Two test programs (tests/fixtures/programs/staged): `staged-person` (final by a person,
late answers flagged) and `staged-auto` (final once the answer window closes, late answers
refused), so these tests do not depend on the shipped programs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from mypy_boto3_s3 import S3Client

from infra.eventlog.documents import document_key
from infra.eventlog.log import EventLog
from infra.platform.settings import get_settings
from infra.runtime import get_runtime
from schemas.events.catalog import NoticeSent
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from tests.conftest import TEST_BUCKET, Cli, CliResult, count_objects
from tests.integration.test_smtp_letters import SmtpServer, smtp_server

__all__ = ["smtp_server"]  # a fixture used here by name

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "programs" / "staged"
SEEDS_CSV = ROOT / "programs" / "psp-2017" / "examples" / "jurisdictions.csv"
QUESTIONS = ("detention_access", "release_notice", "detainer_hold")
ACT = ("--reason", "the office read the answer", "--actor", "ojp-reviewer-1")


@pytest.fixture
def staged(
    cli_env: dict[str, str],
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """The CLI over the staged test programs, mailing to the test SMTP server."""
    env = {
        **cli_env,
        "GRANTREVIEW_SMTP_URL": smtp_server.url,
        "GRANTREVIEW_PROGRAMS_DIR": str(FIXTURES),
    }
    return Cli(env, monkeypatch, capsys)


def _respond(cli: Cli, tmp: Path, program: str, slug: str, answer: str, day: str) -> CliResult:
    body = {
        "jurisdiction": slug,
        "program": program,
        "received_at": f"{day}T12:00:00+00:00",
        "respondent": {"name": "Office of the Chief", "title": "Chief of Police"},
        "answers": {q: {"answer": answer} for q in QUESTIONS},
    }
    path = tmp / f"{program}-{slug}-{answer}-{day}.json"
    path.write_text(json.dumps(body))
    return cli("respond", slug, "--program", program, "--file", path, "--as-of", f"{day}T13:00:00Z")


def _status(cli: Cli, program: str, as_of: str) -> dict[str, dict[str, Any]]:
    result = cli("status", "--program", program, "--json", "--as-of", as_of)
    assert result.code in {0, 1}, result
    return {row["jurisdiction"]: row for row in json.loads(result.stdout)}


def _notices(smtp: SmtpServer, slug: str, kind: str) -> list[EmailMessage]:
    return [
        message
        for message in smtp.mailbox.kept().values()
        if message["To"] == f"{slug}@jurisdictions.example"
        and f": {kind} notice:" in " ".join(str(message["Subject"]).split())  # unfolded
    ]


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def _refused(cli: Cli, client: S3Client, prefix: str, *args: str) -> str:
    """Run a command that must exit 2 with one line and write nothing; return the line."""
    before = count_objects(client, prefix)
    result = cli(*args)
    assert result.code == 2, result
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert count_objects(client, prefix) == before
    return result.stderr


def _idempotent(cli: Cli, client: S3Client, prefix: str, *args: str) -> None:
    """Run a command that was run before: exit 0 and nothing appended."""
    before = count_objects(client, prefix)
    result = cli(*args)
    assert result.code == 0, result
    assert count_objects(client, prefix) == before


def _replays_clean(cli: Cli) -> None:
    replayed = cli("audit", "replay", "--json")
    assert replayed.code == 0, replayed
    assert json.loads(replayed.stdout)["findings"] == []


def test_person_final_after_an_answer_a_request_and_a_late_answer(  # noqa: PLR0915 - one walk
    staged: Cli,
    smtp_server: SmtpServer,
    operator_client: S3Client,
    admin_client: S3Client,
    s3_prefix: str,
    s3_event_log: EventLog,
    tmp_path: Path,
) -> None:
    """Preliminary, notice, answer, determination, final notice, award; requests; extensions."""
    cli, client, prefix, person = staged, operator_client, s3_prefix, "staged-person"
    assert cli("jurisdictions", "import", SEEDS_CSV).code == 0
    overdue = _refused(
        cli, client, prefix, "review", "-p", person, "--all", "--as-of", "2017-08-19"
    )
    assert "2017-08-18" in overdue
    assert "extend" in overdue
    assert cli("review", "-p", person, "--all", "--as-of", "2017-08-03").code == 0
    assert len(smtp_server.mailbox.kept()) == 4  # the letters

    # Stockton: preliminary ineligible, a notice, an answer inside the window, a determination.
    assert _respond(cli, tmp_path, person, "stockton-ca", "not_applicable", "2017-08-10").code == 0
    (notice,) = _notices(smtp_server, "stockton-ca", "preliminary")
    assert "**ineligible**" in _text(notice)
    assert "2017-08-25" in _text(notice)  # 15 answer days after the preliminary decision
    row = _status(cli, person, "2017-08-11")["stockton-ca"]
    assert (row["stage"], row["due"], row["step"]) == ("preliminary", "2017-08-25", "preliminary")
    _refused(cli, client, prefix, "determine", "stockton-ca", "-p", person, "--decision",
             "ineligible", *ACT, "--as-of", "2017-08-12")  # fmt: skip # window open, no answer
    assert _respond(cli, tmp_path, person, "stockton-ca", "yes", "2017-08-20").code == 0
    assert len(_notices(smtp_server, "stockton-ca", "preliminary")) == 2  # re-evaluated: eligible
    assert _status(cli, person, "2017-08-21")["stockton-ca"]["step"] == "awaiting_determination"
    _refused(cli, client, prefix, "determine", "stockton-ca", "-p", person, "--decision", "maybe",
             *ACT)  # fmt: skip
    determine = ("determine", "stockton-ca", "-p", person, "--decision", "eligible", *ACT)
    assert cli(*determine, "--as-of", "2017-08-28").code == 0
    _idempotent(cli, client, prefix, *determine, "--as-of", "2017-08-28")
    (final,) = _notices(smtp_server, "stockton-ca", "final")
    assert "**eligible**" in _text(final)
    row = _status(cli, person, "2017-08-29")["stockton-ca"]
    assert (row["stage"], row["award_action"], row["decision"], row["due"]) == (
        "final",
        "release",
        "eligible",
        None,
    )
    _refused(cli, client, prefix, *determine[:-4], "--reason", "again", "--actor", "x")

    # Baltimore: a request for information and its answer; bad requests write nothing.
    assert _respond(cli, tmp_path, person, "baltimore-md", "no", "2017-08-10").code == 0
    ask = ("request-info", "baltimore-md", "-p", person, "--question", "detainer_hold", *ACT)
    assert "unknown question id" in _refused(cli, client, prefix, *ask[:4], "--question", "nope",
                                             "--due", "2017-09-10", *ACT)  # fmt: skip
    _refused(cli, client, prefix, *ask, "--due", "2017-07-01", "--as-of", "2017-08-12")
    assert cli(*ask, "--due", "2017-09-10", "--as-of", "2017-08-12").code == 0
    _idempotent(cli, client, prefix, *ask, "--due", "2017-09-10", "--as-of", "2017-08-12")
    (request,) = _notices(smtp_server, "baltimore-md", "information")
    assert "by 2017-09-10: detainer\\_hold" in _text(request)  # Markdown-escaped id
    assert _status(cli, person, "2017-08-13")["baltimore-md"]["step"] == "awaiting_information"
    assert _respond(cli, tmp_path, person, "baltimore-md", "yes", "2017-09-05").code == 0
    row = _status(cli, person, "2017-09-06")["baltimore-md"]
    assert (row["stage"], row["decision"]) == ("preliminary", "eligible")

    # Albuquerque: the answer window extended; an answer after the extension is flagged late.
    assert _respond(cli, tmp_path, person, "albuquerque-nm", "partial", "2017-08-10").code == 0
    extend = ("extend", "albuquerque-nm", "-p", person, "--until", "2017-09-15", *ACT)
    assert cli(*extend).code == 0
    _idempotent(cli, client, prefix, *extend)
    assert _status(cli, person, "2017-09-01")["albuquerque-nm"]["due"] == "2017-09-15"
    assert _respond(cli, tmp_path, person, "albuquerque-nm", "yes", "2017-09-20").code == 0
    assert _status(cli, person, "2017-09-21")["albuquerque-nm"]["late"] is True

    _replays_clean(cli)
    stream = StreamId(program=person, jurisdiction="stockton-ca")
    sent = [
        event
        for commit in s3_event_log.read_stream(stream)
        for _, event in decoded_events(commit)
        if isinstance(event, NoticeSent)
    ]
    key = document_key(prefix, sent[-1].notice_sha256)
    admin_client.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"You were found ineligible.")
    replayed = cli("audit", "replay", "--json")
    assert replayed.code == 1, replayed
    findings = json.loads(replayed.stdout)["findings"]
    assert any(
        (f["jurisdiction"], f["kind"]) == ("stockton-ca", "tampered_document") for f in findings
    ), findings


def _sweep(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, day: str) -> list[str]:
    """The scheduled deadline run, in-process through Prefect, as of 00:00 UTC on `day`."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    get_runtime.cache_clear()
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    from flows.deadlines import deadlines  # noqa: PLC0415 - Prefect after the env is set
    from flows.deploy.run import run_flow  # noqa: PLC0415

    moment = datetime.fromisoformat(day).replace(tzinfo=UTC)
    with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
        outcomes = run_flow(deadlines, "staged-auto", moment)
    return sorted(outcome.jurisdiction for outcome in outcomes if outcome.appended)


def test_automatic_final_when_the_window_closes_and_late_answers_refused(
    staged: Cli,
    smtp_server: SmtpServer,
    operator_client: S3Client,
    s3_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The deadline run records the final once the (extended) window closes; late is refused."""
    cli, client, prefix, auto = staged, operator_client, s3_prefix, "staged-auto"
    assert cli("jurisdictions", "import", SEEDS_CSV).code == 0
    assert cli("review", "-p", auto, "--all", "--as-of", "2017-08-03").code == 0
    for slug in ("san-bernardino-ca", "baltimore-md"):
        assert _respond(cli, tmp_path, auto, slug, "no", "2017-08-10").code == 0
    extend = ("extend", "san-bernardino-ca", "-p", auto, "--until", "2017-09-01", *ACT)
    assert cli(*extend).code == 0
    assert _sweep(staged.env, monkeypatch, "2017-08-25") == ["baltimore-md"]  # 08-20 passed
    rows = _status(cli, auto, "2017-08-25")
    assert (rows["baltimore-md"]["stage"], rows["baltimore-md"]["award_action"]) == (
        "final",
        "withhold",
    )
    assert rows["san-bernardino-ca"]["stage"] == "preliminary"  # nothing before the extension
    assert _sweep(staged.env, monkeypatch, "2017-09-02") == ["san-bernardino-ca"]
    assert _sweep(staged.env, monkeypatch, "2017-09-02") == []  # a rerun appends nothing
    subjects = [str(m["Subject"]) for m in smtp_server.mailbox.kept().values()]
    for slug in ("san-bernardino-ca", "baltimore-md"):
        finals = _notices(smtp_server, slug, "final")
        assert len(finals) == 1, subjects  # a receiver deduping on Message-ID keeps each
        assert "ineligible" in _text(finals[0])
    line = _refused(cli, client, prefix, "respond", "stockton-ca", "--program", auto, "--file",
                    str(_file(tmp_path, auto, "stockton-ca", "2017-08-25")))  # fmt: skip
    assert "refuses late responses" in line
    _replays_clean(cli)


def _file(tmp: Path, program: str, slug: str, day: str) -> Path:
    body = {
        "jurisdiction": slug,
        "program": program,
        "received_at": f"{day}T12:00:00+00:00",
        "respondent": {"name": "Office of the Chief", "title": "Chief of Police"},
        "answers": {q: {"answer": "yes"} for q in QUESTIONS},
    }
    path = tmp / f"late-{slug}.json"
    path.write_text(json.dumps(body))
    return path
