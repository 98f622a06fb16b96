"""GRANTREVIEW_SMTP_URL is read with pydantic's URL type, in settings and in the SMTP adapter."""

from __future__ import annotations

import smtplib

import pydantic
import pytest

from infra.outbox import smtp
from infra.outbox.smtp import DeliveryError, Mail, SmtpConfig, deliver
from infra.platform.settings import Settings
from schemas.base.errors import InputError

URL = "smtps://mail%40ops:p%3Ass%2Fword@mail.example.org?from=grants@example.org&to={slug}@x.org"


def test_settings_parse_and_mask_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """The setting is a URL (a secret: never shown), and the adapter reads its parts from it."""
    monkeypatch.setenv("GRANTREVIEW_SMTP_URL", URL)
    settings = Settings()
    assert settings.smtp_url is not None
    assert "p%3Ass" not in repr(settings)
    config = SmtpConfig.from_url(settings.smtp_url.get_secret_value())
    assert (config.host, config.port, config.security) == ("mail.example.org", 465, "ssl")
    assert (config.username, config.password) == ("mail@ops", "p:ss/word")
    assert config.recipient_for("stockton-ca") == "stockton-ca@x.org"


def test_settings_refuse_another_scheme_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An http:// URL fails settings validation; the message names the scheme rule only."""
    monkeypatch.setenv("GRANTREVIEW_SMTP_URL", "http://user:hunter2@h?to={slug}@x.org")
    with pytest.raises(pydantic.ValidationError) as error:
        Settings()
    first = error.value.errors()[0]
    assert "smtp" in first["msg"]
    assert "hunter2" not in first["msg"]


def test_a_bad_url_string_is_an_input_error_without_the_secret() -> None:
    """from_url on a malformed string refuses it in words that never repeat it."""
    with pytest.raises(InputError) as error:
        SmtpConfig.from_url("smtp://user:hunter2@:99999?to={slug}@x.org")
    assert "hunter2" not in str(error.value)


def test_transient_failures_are_retried_then_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """4xx answers are retried `attempts` times with growing waits, then fail as unavailable."""
    calls: list[int] = []
    slept: list[float] = []

    def busy(_config: SmtpConfig, _message: object) -> None:
        calls.append(1)
        raise smtplib.SMTPResponseException(451, b"try later")

    monkeypatch.setattr(smtp, "_send_once", busy)
    monkeypatch.setattr("time.sleep", slept.append)
    config = SmtpConfig.from_url("smtp://127.0.0.1:9?from=a@b.org&to={slug}@b.org")
    mail = Mail("a@b.org", "x@b.org", "s", "m", "<p>m</p>", "<1@b.org>")
    with pytest.raises(DeliveryError, match="3 delivery attempts failed"):
        deliver(config, mail, attempts=3, backoff=0.5)
    assert (len(calls), slept) == (3, [0.5, 1.0])


def test_a_permanent_refusal_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 5xx answer fails at once: one attempt, no wait."""
    calls: list[int] = []

    def refused(_config: SmtpConfig, _message: object) -> None:
        calls.append(1)
        raise smtplib.SMTPResponseException(550, b"no such mailbox")

    monkeypatch.setattr(smtp, "_send_once", refused)
    config = SmtpConfig.from_url("smtp://127.0.0.1:9?from=a@b.org&to={slug}@b.org")
    mail = Mail("a@b.org", "x@b.org", "s", "m", "<p>m</p>", "<1@b.org>")
    with pytest.raises(DeliveryError, match="SMTP refused"):
        deliver(config, mail)
    assert len(calls) == 1
