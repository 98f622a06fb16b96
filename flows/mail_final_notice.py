"""The mail-final-notice flow: what the automation on `grantreview.decision.final` starts."""

from __future__ import annotations

from flows._flow import grant_flow
from flows._refusal import refused
from infra.runtime import get_runtime
from schemas.base.errors import InputError
from usecases.final_mail import FinalMail
from usecases.final_mail import mail_final_notice as mail_notice

__all__ = ["mail_final_notice"]


@grant_flow("mail-final-notice", run_name="mail-final-notice {jurisdiction} {program}")
def mail_final_notice(program: str, jurisdiction: str) -> FinalMail:
    """Mail a jurisdiction's final notice, as recorded in the log, to its contact.

    Started by the `grantreview.decision.final` trigger (or by hand). The mail's
    Message-ID comes from the notice's content, so a second run mails the same message
    and the receiver keeps one; a notice the writer mailed itself is not mailed again.

    Args:
        program: The grant program, e.g. psp-2017.
        jurisdiction: The jurisdiction's slug, e.g. stockton-ca.
    """
    try:
        return mail_notice(get_runtime(), program, jurisdiction)
    except InputError as error:  # not final yet, no notice, no SMTP: one line
        return refused(error)  # type: ignore[no-any-return] # Prefect's Failed state ends it
