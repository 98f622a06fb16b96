"""Letters mailed over real SMTP (aiosmtpd on loopback), exactly once per stream and cycle."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from mypy_boto3_s3 import S3Client

from infra.eventlog.log import EventLog
from infra.outbox import smtp
from localdev import PortReservations
from schemas.base.errors import InputError
from schemas.events.catalog import LetterQueued, LetterSent
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from tests.conftest import Cli, count_objects

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"
SEEDS = ["albuquerque-nm", "baltimore-md", "san-bernardino-ca", "stockton-ca"]


@dataclass
class Mailbox:
    """An SMTP receiver: every delivery on the wire, and the mailbox deduped on Message-ID."""

    deliveries: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0
    refused: int = 0

    async def handle_DATA(self, _server: object, _session: object, envelope: Any) -> str:  # noqa: ANN401, N802 - aiosmtpd's hook name and untyped envelope
        """Accept (or, while `refuse_next` > 0, answer 451 to) one message."""
        if self.refuse_next:
            self.refuse_next -= 1
            self.refused += 1
            return "451 4.3.0 try again later"
        raw = cast("bytes", envelope.content)
        self.deliveries.append(message_from_bytes(raw, policy=policy.default))
        return "250 OK"

    def kept(self) -> dict[str, EmailMessage]:
        """What a receiver that dedupes on Message-ID holds, by Message-ID."""
        return {str(message["Message-ID"]): message for message in self.deliveries}


@dataclass
class SmtpServer:
    """The running receiver and the GRANTREVIEW_SMTP_URL that points at it."""

    mailbox: Mailbox
    url: str


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback for one test."""
    mailbox = Mailbox()
    with PortReservations() as reserved:  # held until the receiver listens (SO_REUSEADDR)
        port = reserved.take()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
    try:
        yield SmtpServer(
            mailbox,
            f"smtp://127.0.0.1:{port}?from=ojp@ojp.example&to={{slug}}@jurisdictions.example",
        )
    finally:
        controller.stop()


@pytest.fixture
def mail_cli(
    cli_env: dict[str, str],
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """The CLI with GRANTREVIEW_SMTP_URL set to the test SMTP server."""
    return Cli({**cli_env, "GRANTREVIEW_SMTP_URL": smtp_server.url}, monkeypatch, capsys)


def letter_events(log: EventLog, slug: str) -> list[object]:
    """Every letter event of the stream, in order."""
    commits = log.read_stream(StreamId(program="psp-2017", jurisdiction=slug))
    return [
        event
        for commit in commits
        for _, event in decoded_events(commit)
        if isinstance(event, LetterQueued | LetterSent)
    ]


def test_letters_are_mailed_and_recorded_once(
    mail_cli: Cli,
    smtp_server: SmtpServer,
    s3_event_log: EventLog,
    operator_client: S3Client,
    s3_prefix: str,
) -> None:
    """Review mails each letter (Markdown and HTML) under the Message-ID its event records."""
    assert mail_cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    result = mail_cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03", "--json")
    assert result.code == 0, result
    assert [row["step"] for row in json.loads(result.stdout)] == ["letter_sent"] * 4
    mailbox = smtp_server.mailbox
    assert len(mailbox.deliveries) == 4
    for slug in SEEDS:
        queued, sent = letter_events(s3_event_log, slug)
        assert isinstance(queued, LetterQueued)
        assert isinstance(sent, LetterSent)
        assert sent.delivery == "smtp"
        assert sent.delivery_id == queued.delivery_id
        assert sent.recipient == f"{slug}@jurisdictions.example"
        message = mailbox.kept()[sent.delivery_id]
        assert message["To"] == sent.recipient
        html = message.get_body(preferencelist=("html",))
        assert html is not None
        assert "Department of Homeland Security" in html.get_content()
        assert "<strong>2017-08-18</strong>" in html.get_content()
    before = count_objects(operator_client, s3_prefix)
    assert mail_cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03").code == 0
    assert len(mailbox.deliveries) == 4
    assert count_objects(operator_client, s3_prefix) == before


def test_crash_between_sending_and_recording_mails_one_letter(
    mail_cli: Cli,
    smtp_server: SmtpServer,
    s3_event_log: EventLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failure after SMTP accepted a letter and before it was recorded leaves one letter."""
    assert mail_cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    real_deliver = smtp.deliver

    def deliver_then_crash(config: smtp.SmtpConfig, mail: smtp.Mail) -> None:
        real_deliver(config, mail)
        if mail.recipient.startswith("stockton-ca@"):
            raise RuntimeError("injected crash between sending and recording")

    monkeypatch.setattr(smtp, "deliver", deliver_then_crash)
    crashed = mail_cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03")
    assert crashed.code != 0  # the task's own retries crash again: the flow run fails
    assert letter_events(s3_event_log, "stockton-ca")[-1].__class__ is LetterQueued
    monkeypatch.setattr(smtp, "deliver", real_deliver)
    retried = mail_cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-04")
    assert retried.code == 0, retried
    mailbox = smtp_server.mailbox
    queued, sent = letter_events(s3_event_log, "stockton-ca")
    assert isinstance(queued, LetterQueued)
    assert isinstance(sent, LetterSent)
    assert sent.letter_date.isoformat() == "2017-08-03"  # the queued letter, not a new one
    wire = [m for m in mailbox.deliveries if m["Message-ID"] == sent.delivery_id]
    assert len(wire) >= 2  # redelivered after the crash (at least once on the wire) ...
    assert {m.get_body(preferencelist=("plain",)).get_content() for m in wire} == {  # type: ignore[union-attr] # every message has a text part
        wire[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr] # likewise
    }
    assert len(mailbox.kept()) == 4  # ... and exactly once per stream in the mailbox
    assert all(len(letter_events(s3_event_log, slug)) == 2 for slug in SEEDS)


def test_transient_smtp_refusal_is_retried(
    mail_cli: Cli, smtp_server: SmtpServer, s3_event_log: EventLog
) -> None:
    """A 451 answer is retried; the letter is delivered and recorded once."""
    assert mail_cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    smtp_server.mailbox.refuse_next = 1
    result = mail_cli("review", "--program", "psp-2017", "stockton-ca", "--as-of", "2017-08-03")
    assert result.code == 0, result
    assert smtp_server.mailbox.refused == 1
    assert len(smtp_server.mailbox.deliveries) == 1
    sent = letter_events(s3_event_log, "stockton-ca")[-1]
    assert isinstance(sent, LetterSent)
    assert sent.delivery_id == smtp_server.mailbox.deliveries[0]["Message-ID"]


def test_review_without_smtp_records_no_delivery(cli: Cli, s3_event_log: EventLog) -> None:
    """Without GRANTREVIEW_SMTP_URL the letter is stored and recorded as not mailed."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    assert cli("review", "--program", "psp-2017", "stockton-ca", "--as-of", "2017-08-03").code == 0
    (sent,) = letter_events(s3_event_log, "stockton-ca")
    assert isinstance(sent, LetterSent)
    assert sent.delivery == "none"
    assert sent.delivery_id is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:25?to={slug}@x.example",
        "smtp://127.0.0.1:25",
        "smtp://127.0.0.1:25?to=nobody@x.example",
        "smtp://127.0.0.1:25?to={slug}@x.example&from=nobody",
    ],
)
def test_bad_smtp_url_is_an_input_error(url: str) -> None:
    """A malformed GRANTREVIEW_SMTP_URL is refused with a message, before any mail."""
    with pytest.raises(InputError):
        smtp.SmtpConfig.from_url(url)
