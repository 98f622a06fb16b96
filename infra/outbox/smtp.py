"""Mail delivery over SMTP, configured by one URL; transient failures are retried here.

GRANTREVIEW_SMTP_URL (pydantic `AnyUrl`, `infra.platform.settings.SmtpUrl`) is `smtp://[user[:password]@]host[:port]?from=ADDR&to=TEMPLATE`
(`smtps://` for implicit TLS, `&starttls=true` to upgrade a plain connection).
`to` names each jurisdiction's mailbox, with `{slug}` replaced by its slug, e.g.
`to={slug}@grants.example.org`. Every mail carries the Message-ID it was queued with,
so a receiver that dedupes on Message-ID keeps one copy of a redelivered mail.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal
from urllib.parse import unquote

from pydantic import AnyUrl, TypeAdapter, ValidationError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from infra.errors import DependencyUnavailableError
from infra.platform.clock import utc_now
from infra.platform.logging import get_logger
from infra.platform.settings import SmtpUrl
from schemas.base.errors import InputError

__all__ = ["DeliveryError", "Mail", "SmtpConfig", "build_message", "deliver"]

_log = get_logger(__name__)
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_URL = TypeAdapter(SmtpUrl)


class DeliveryError(DependencyUnavailableError):
    """The SMTP server refused the mail for good (a 5xx answer), or kept failing: exit 3."""


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how mail is delivered, parsed from GRANTREVIEW_SMTP_URL."""

    host: str
    port: int
    security: Literal["plain", "starttls", "ssl"]
    username: str | None
    password: str | None
    sender: str
    recipient_template: str
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str | AnyUrl) -> SmtpConfig:
        """Parse the URL (pydantic's URL type); a malformed one is an input error.

        The message never shows the URL: it may hold a password.
        """
        try:
            parts = url if isinstance(url, AnyUrl) else _URL.validate_python(url)
        except ValidationError:
            raise InputError(
                "GRANTREVIEW_SMTP_URL must look like smtp://host:port?from=…&to=…"
            ) from None
        query = dict(parts.query_params())
        recipient = query.get("to", "")
        if "{slug}" not in recipient or "@" not in recipient:
            raise InputError("GRANTREVIEW_SMTP_URL needs to=…{slug}@domain (each mailbox)")
        sender = query.get("from", "grantreview@localhost")
        if "@" not in sender:
            raise InputError("GRANTREVIEW_SMTP_URL from= must be a mail address")
        security: Literal["plain", "starttls", "ssl"] = (
            "ssl" if parts.scheme == "smtps" else "plain"
        )
        if security == "plain" and query.get("starttls", "").lower() in {"1", "true", "yes"}:
            security = "starttls"
        try:
            timeout = float(query.get("timeout", "10"))
        except ValueError:
            raise InputError("GRANTREVIEW_SMTP_URL has a bad timeout") from None
        return cls(
            host=parts.host or "",
            port=parts.port or _DEFAULT_PORTS[parts.scheme],
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            sender=sender,
            recipient_template=recipient,
            timeout=timeout,
        )

    def recipient_for(self, slug: str) -> str:
        """The jurisdiction's mailbox."""
        return self.recipient_template.replace("{slug}", slug)

    @property
    def domain(self) -> str:
        """The sender's domain: the right-hand side of every Message-ID we generate."""
        return self.sender.rsplit("@", 1)[1]


@dataclass(frozen=True)
class Mail:
    """One mail: the Markdown is the text part, the HTML the alternative."""

    sender: str
    recipient: str
    subject: str
    markdown: str
    html: str
    message_id: str


def build_message(mail: Mail) -> EmailMessage:
    """A multipart/alternative message under the mail's fixed Message-ID."""
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(utc_now())
    message.set_content(mail.markdown)
    message.add_alternative(mail.html, subtype="html")
    return message


def _transient(error: BaseException) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())  # noqa: PLR2004 - SMTP 4xx
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500  # noqa: PLR2004 - SMTP 4xx means "try again later"
    return isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError | OSError)


def _send_once(config: SmtpConfig, message: EmailMessage) -> None:
    server: smtplib.SMTP
    if config.security == "ssl":
        context = ssl.create_default_context()
        server = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    else:
        server = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    with server:
        if config.security == "starttls":
            server.starttls(context=ssl.create_default_context())
        if config.username is not None:
            server.login(config.username, config.password or "")
        server.send_message(message)


def deliver(config: SmtpConfig, mail: Mail, *, attempts: int = 3, backoff: float = 0.5) -> None:
    """Hand the mail to the SMTP server, retrying 4xx answers and lost connections (tenacity).

    The waits grow linearly (`backoff`, then twice that ...); a 5xx answer fails at once.
    """
    message = build_message(mail)

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        _log.warning(
            "smtp_retry", message_id=mail.message_id, attempt=state.attempt_number, error=str(error)
        )

    retrying = Retrying(
        retry=retry_if_exception(_transient),
        stop=stop_after_attempt(attempts),
        wait=lambda state: backoff * state.attempt_number,
        sleep=time.sleep,
        before_sleep=log_retry,
        reraise=True,
    )
    try:
        retrying(_send_once, config, message)
    except (smtplib.SMTPException, OSError) as error:
        if not _transient(error):
            raise DeliveryError(
                f"{mail.recipient}: SMTP refused {mail.message_id}: {error}"
            ) from None
        raise DeliveryError(
            f"{mail.recipient}: {attempts} delivery attempts failed: {error}"
        ) from None
