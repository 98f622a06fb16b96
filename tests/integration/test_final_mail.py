"""The final-notice automation, served for real: one mail per final, none before (#23).

`grantreview serve` registers `mail-final-notice` with its trigger on
`grantreview.decision.final` (docs/deploy.md). The writers here mail nothing themselves
(no GRANTREVIEW_SMTP_URL), the `serve` host does: the jurisdiction's contact gets the
final notice once, as the log recorded it, and nothing for the preliminary decisions.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from infra.platform.settings import get_settings
from infra.runtime import get_runtime
from tests.conftest import Cli
from tests.integration.test_deployments import _deployments, _stop
from tests.integration.test_final_events import final_events, run_names
from tests.integration.test_smtp_letters import SmtpServer, smtp_server
from tests.integration.test_staged_reviews import FIXTURES, SEEDS_CSV, _respond

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["smtp_server"]  # a fixture used here by name

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = "staged-person"
ACT = ("--reason", "the office read the answer", "--actor", "ojp-reviewer-1")
DEPLOYMENT = "mail-final-notice/mail-final-notice"


@pytest.fixture
def served_mail(
    cli_env: dict[str, str], smtp_server: SmtpServer, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """`grantreview serve -p staged-person` mailing through the test SMTP server; its env."""
    env = {**cli_env, "GRANTREVIEW_PROGRAMS_DIR": str(FIXTURES)}
    serving = {**env, "GRANTREVIEW_SMTP_URL": smtp_server.url}
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("grantreview")), "serve", "--program", PROGRAM],
            env={**os.environ, **serving, "PREFECT_RUNNER_POLL_FREQUENCY": "1"},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_for_trigger(process, env)
            yield env
        finally:
            _stop(process)


def _wait_for_trigger(process: subprocess.Popen[bytes], env: dict[str, str]) -> None:
    """Until the mail-final-notice deployment's trigger watches this test's log."""
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    location = f"s3://{env['GRANTREVIEW_S3_BUCKET']}/{env['GRANTREVIEW_S3_PREFIX']}"
    deadline = time.monotonic() + 90
    with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
        while time.monotonic() < deadline:
            assert process.poll() is None, "grantreview serve exited"
            seen = asyncio.run(_deployments())
            if _watching(seen, location):
                return
            time.sleep(0.5)
    pytest.fail("serve did not register mail-final-notice within 90 s")


def _watching(seen: dict[str, Any], location: str) -> bool:
    deployment = seen["deployments"].get(DEPLOYMENT)
    if deployment is None:
        return False
    return any(
        location in (automation.trigger.match.get("grantreview.log") or [])
        for automation in seen["automations"]
        if any(getattr(a, "deployment_id", None) == deployment.id for a in automation.actions)
    )


def _mails(smtp: SmtpServer, count: int) -> list[Any]:
    """The messages a receiver keeps (deduped on Message-ID), once `count` arrived."""
    deadline = time.monotonic() + 90
    while len(smtp.mailbox.kept()) < count and time.monotonic() < deadline:
        time.sleep(0.5)
    return list(smtp.mailbox.kept().values())


def test_the_automation_mails_one_final_notice_per_final_and_none_before(
    served_mail: dict[str, str],
    smtp_server: SmtpServer,
    s3_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Two preliminaries, then a determination: the contact gets the final notice, once."""
    cli = Cli(served_mail, monkeypatch, capsys)
    assert cli("jurisdictions", "import", SEEDS_CSV).code == 0
    assert cli("review", "-p", PROGRAM, "--all", "--as-of", "2017-08-03").code == 0
    assert _respond(cli, tmp_path, PROGRAM, "stockton-ca", "not_applicable", "2017-08-10").code == 0
    assert _respond(cli, tmp_path, PROGRAM, "stockton-ca", "yes", "2017-08-20").code == 0
    determine = ("determine", "stockton-ca", "-p", PROGRAM, "--decision", "ineligible", *ACT)
    assert cli(*determine, "--as-of", "2017-08-28").code == 0
    location = f"s3://{served_mail['GRANTREVIEW_S3_BUCKET']}/{s3_prefix}"
    assert len(final_events(served_mail, location, 1)) == 1
    (mail,) = _mails(smtp_server, 1)
    assert mail["To"] == "stockton-ca@jurisdictions.example"
    assert "final notice: Stockton, CA" in " ".join(str(mail["Subject"]).split())
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "The final decision is: **ineligible**." in text
    assert "Award action: **withhold**." in text
    assert "Determined by: ojp-reviewer-1." in text
    assert run_names(served_mail, f"mail-final-notice stockton-ca {PROGRAM}")
    # The trigger firing again mails the same message: the receiver still holds one.
    _mail_by_hand(served_mail, smtp_server.url, monkeypatch)
    assert len(smtp_server.mailbox.deliveries) == 2  # the automation's and ours
    assert len(smtp_server.mailbox.kept()) == 1
    # Nothing but the final was ever mailed: not the letters, not the preliminary notices.
    subjects = [str(m["Subject"]) for m in smtp_server.mailbox.deliveries]
    assert all("final notice" in " ".join(s.split()) for s in subjects), subjects


def _mail_by_hand(env: dict[str, str], smtp_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the flow the trigger starts, in this process, as a second firing would."""
    for name, value in {**env, "GRANTREVIEW_SMTP_URL": smtp_url}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    get_runtime.cache_clear()
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    from flows.deploy.run import run_flow  # noqa: PLC0415 - Prefect after the env is set
    from flows.mail_final_notice import mail_final_notice  # noqa: PLC0415

    with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
        done = run_flow(mail_final_notice, PROGRAM, "stockton-ca")
    assert done.status == "mailed"
