"""The deadline sweep: one reminder (mailed by the same outbox path), then no-response decisions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mypy_boto3_s3 import S3Client

from infra.eventlog.log import EventLog
from infra.platform.settings import get_settings
from infra.runtime import get_runtime
from schemas.events.catalog import DecisionIssued, ReminderQueued, ReminderSent
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from tests.conftest import Cli, count_objects
from tests.integration.test_smtp_letters import SmtpServer, mail_cli, smtp_server

__all__ = ["mail_cli", "smtp_server"]  # fixtures used here by name

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"
SEEDS = ["albuquerque-nm", "baltimore-md", "san-bernardino-ca", "stockton-ca"]


def _sweep(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, day: str) -> list[str]:
    """Run the deadlines flow in-process as of 00:00 UTC on `day`; the jurisdictions appended to."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    get_runtime.cache_clear()
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    from flows.deadlines import deadlines  # noqa: PLC0415 - Prefect after the env is set
    from flows.deploy.run import run_flow  # noqa: PLC0415

    moment = datetime.fromisoformat(day).replace(tzinfo=UTC)
    with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):  # see Cli
        outcomes = run_flow(deadlines, "psp-2017", moment)
    return sorted(outcome.jurisdiction for outcome in outcomes if outcome.appended)


def _events(log: EventLog, slug: str, kind: type) -> list[object]:
    commits = log.read_stream(StreamId(program="psp-2017", jurisdiction=slug))
    return [e for c in commits for _, e in decoded_events(c) if isinstance(e, kind)]


async def _artifact_versions(key: str) -> list[str]:
    """Every version of the artifact `key` (one per run that published it)."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415
    from prefect.client.schemas.filters import (  # noqa: PLC0415
        ArtifactFilter,
        ArtifactFilterKey,
    )

    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )
    return [str(artifact.data) for artifact in found]


def test_overdue_letter_gets_one_reminder_then_the_no_response_decision(
    mail_cli: Cli,
    smtp_server: SmtpServer,
    s3_event_log: EventLog,
    operator_client: S3Client,
    s3_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past reminder_after_days one reminder goes out; past response_due the decision follows."""
    env = mail_cli.env
    assert mail_cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    assert mail_cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03").code == 0
    respond = mail_cli(
        "respond",
        "albuquerque-nm",
        "--program",
        "psp-2017",
        "--file",
        EXAMPLES / "albuquerque-nm.json",
        "--as-of",
        "2017-08-08",
    )
    assert respond.code == 0, respond
    assert _sweep(env, monkeypatch, "2017-08-09") == []  # reminder due from 2017-08-10
    assert _sweep(env, monkeypatch, "2017-08-10") == SEEDS[1:]  # the one that answered: none
    inbox = asyncio.run(_artifact_versions("inbox-psp-2017"))  # what still waits, in the UI
    assert any(
        "letter unanswered: answer due 2017-08-18" in v and "stockton-ca" in v for v in inbox
    ), inbox
    reminders = [m for m in smtp_server.mailbox.deliveries if "Reminder" in str(m["Subject"])]
    assert len(reminders) == 3
    for slug in SEEDS[1:]:
        (queued,) = _events(s3_event_log, slug, ReminderQueued)
        (sent,) = _events(s3_event_log, slug, ReminderSent)
        assert isinstance(queued, ReminderQueued)
        assert isinstance(sent, ReminderSent)
        assert sent.delivery == "smtp"
        assert sent.delivery_id == queued.delivery_id
    before = count_objects(operator_client, s3_prefix)
    assert _sweep(env, monkeypatch, "2017-08-12") == []  # one reminder, never two
    assert _sweep(env, monkeypatch, "2017-08-18") == []  # the due date is inclusive
    assert count_objects(operator_client, s3_prefix) == before
    assert _sweep(env, monkeypatch, "2017-08-19") == SEEDS[1:]
    for slug in SEEDS[1:]:
        (decision,) = _events(s3_event_log, slug, DecisionIssued)
        assert isinstance(decision, DecisionIssued)
        assert decision.reasons == ("no response by 2017-08-18",)
        assert decision.response_sha256 is None
    assert len(_events(s3_event_log, "albuquerque-nm", DecisionIssued)) == 1  # from respond
    after = count_objects(operator_client, s3_prefix)
    assert _sweep(env, monkeypatch, "2017-08-19") == []
    assert count_objects(operator_client, s3_prefix) == after
    assert len(smtp_server.mailbox.deliveries) == 4 + 3  # letters, reminders; no repeats
    # a batch run shows one summary listing what it changed, not one card per decision
    summaries = asyncio.run(_artifact_versions("psp-2017-summary"))
    assert any(s.count("no response by 2017-08-18") == 3 for s in summaries), summaries
    for slug in SEEDS[1:]:  # other tests' runs on this server may have left cards; not this one
        cards = asyncio.run(_artifact_versions(f"decision-psp-2017-{slug}"))
        assert not any("no response by 2017-08-18" in card for card in cards), slug


def test_sweep_ignores_streams_without_a_letter(
    cli: Cli, s3_event_log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A jurisdiction that never got a letter gets neither a reminder nor a decision."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    assert cli("review", "--program", "psp-2017", "stockton-ca", "--as-of", "2017-08-03").code == 0
    assert _sweep(cli.env, monkeypatch, "2017-08-10") == ["stockton-ca"]
    assert _sweep(cli.env, monkeypatch, "2017-08-19") == ["stockton-ca"]
    assert s3_event_log.read_stream(StreamId(program="psp-2017", jurisdiction="baltimore-md")) == []
    (reminder,) = _events(s3_event_log, "stockton-ca", ReminderSent)
    assert isinstance(reminder, ReminderSent)
    assert reminder.delivery == "none"
