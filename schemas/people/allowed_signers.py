"""A people file as OpenSSH's allowed signers file, so `ssh-keygen -Y verify` checks acts.

One line per entry (ssh-keygen(1), "ALLOWED SIGNERS"): the person's id as the principal,
the `grantreview` namespace, and the entry's validity window, then the key. Our window is
[valid_from, valid_until) in whole UTC days; OpenSSH's `valid-after` is inclusive and its
`valid-before` is "at or before", so the last second before `valid_until` is written.
A third party then verifies an act as of its own time:

    ssh-keygen -Y verify -f allowed_signers -I ID -n grantreview -Overify-time=TIME -s SIG

Pure: the text is built from the parsed file.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from schemas.people.sshsig import NAMESPACE, public_key_line

if TYPE_CHECKING:
    from datetime import date

    from schemas.people.people_file import PeopleFile, PersonEntry

__all__ = ["allowed_signers", "openssh_time"]


def openssh_time(moment: datetime) -> str:
    """A UTC instant in OpenSSH's `YYYYMMDDHHMMSSZ` form (valid-after, verify-time)."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _line(entry: PersonEntry) -> str:
    options = [
        f'namespaces="{NAMESPACE}"',
        f'valid-after="{openssh_time(_midnight(entry.valid_from))}"',
    ]
    if entry.valid_until is not None:
        last = _midnight(entry.valid_until) - timedelta(seconds=1)
        options.append(f'valid-before="{openssh_time(last)}"')
    return f"{entry.id} {','.join(options)} {public_key_line(entry.public_key)}"


def allowed_signers(people: PeopleFile) -> str:
    """The allowed signers text for `people`, one line per entry, under a comment naming it."""
    lines = [f"# grantreview people file {people.sha256}", *map(_line, people.people)]
    return "\n".join(lines) + "\n"
