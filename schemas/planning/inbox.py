"""The office's inbox: what waits, on whom, by when, and the command that acts on it.

Pure: given a stream's state (or an open proposal) and the day, say whether anything is due
and write the exact command a person runs for it. The shell (`usecases/inbox.py`) gathers
states from S3; the CLI and the daily deadline run render the same items.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from schemas.base.canonical import format_time
from schemas.log.state import Step
from schemas.people.acts import ActType, roles_for
from schemas.planning.stages import review_step
from schemas.rules.evaluation import Outcome

if TYPE_CHECKING:
    from collections.abc import Sequence

    from schemas.log.state import StreamState
    from schemas.people.people_file import PeopleFile
    from schemas.program.definition import Program

__all__ = [
    "INTEGRATION_LAG",
    "LOG",
    "InboxItem",
    "approval_item",
    "command_line",
    "for_actor",
    "integration_item",
    "sort_items",
    "stream_item",
    "unsent_item",
    "untrusted_log_item",
]

EXTENSION_DAYS = 7
"""The new due date an overdue request for information is offered: a week from the day."""
INTEGRATION_LAG = timedelta(minutes=15)
"""How long a commit may wait for a signed checkpoint before the inbox says so: runs
integrate as they end, so one still outside after this was deferred (a rival's claim) or
its run died; the hourly sweep takes it at the latest, `grantreview checkpoint` at once."""
LOG = "log"
"""`program` of an item about the whole event log rather than one program."""
JURISDICTION = "jurisdiction"
"""`waiting_on` of an item only the jurisdiction can move (its answer)."""


@dataclass(frozen=True)
class InboxItem:
    """One thing that waits: where, by when, on whom, and the command that moves it."""

    program: str
    jurisdiction: str | None
    due: date | None
    overdue: bool
    waiting_on: str
    what: str
    command: str
    act_type: str | None = None
    """The act the command records (review, determine, approve), for the role check."""
    act_id: str | None = None
    excluded: tuple[str, ...] = ()
    """Who may not run the command: a proposal's proposer and those who approved it."""
    may_act: bool | None = None
    """Whether the asking actor may run the command (None: nobody asked, or no act)."""

    def as_json(self) -> dict[str, object]:
        """The `--json` object: at least program, jurisdiction, due, waiting_on and command."""
        return {
            "program": self.program,
            "jurisdiction": self.jurisdiction,
            "due": None if self.due is None else self.due.isoformat(),
            "overdue": self.overdue,
            "waiting_on": self.waiting_on,
            "what": self.what,
            "command": self.command,
            "act_id": self.act_id,
            "may_act": self.may_act,
        }


_LABELS = {
    Step.LETTER_SENT: "letter unanswered",
    Step.PRELIMINARY: "answer window after the preliminary decision",
    Step.AWAITING_INFORMATION: "request for information",
}
"""The steps where a review waits for the jurisdiction's answer by a date."""


def command_line(*words: str) -> str:
    """`grantreview WORDS...`, quoted so that a shell runs it exactly as printed."""
    return shlex.join(["grantreview", *words])


def _as_of(as_of: datetime | None) -> tuple[str, ...]:
    return () if as_of is None else ("--as-of", as_of.date().isoformat())


def _passed(due: date | None, today: date) -> bool:
    return due is not None and today > due


def stream_item(
    state: StreamState,
    program: Program,
    *,
    as_of: datetime,
    horizon: date,
    asked_as_of: datetime | None,
) -> InboxItem | None:
    """What waits in one stream at `as_of`, if due by `horizon` or overdue (None: nothing).

    `asked_as_of` is the `--as-of` the inbox was asked with: repeated in each command, so a
    command acts on the same day the inbox describes.
    """
    step = review_step(state, program, as_of)
    slug, pid, today = state.stream.jurisdiction, state.stream.program, as_of.date()
    due = state.due
    when = _as_of(asked_as_of)

    def item(
        due: date | None, waiting_on: str, what: str, command: str, act: str | None
    ) -> InboxItem:
        return InboxItem(pid, slug, due, _passed(due, today), waiting_on, what, command, act)

    review = command_line("review", "-p", pid, slug, *when)
    if step is Step.AWAITING_DETERMINATION:
        suggested = state.decision if state.decision is not None else Outcome.INELIGIBLE
        if suggested is Outcome.PENDING:
            suggested = Outcome.INELIGIBLE
        reason = f"confirming the preliminary decision ({suggested.value})"
        command = command_line(
            "determine", slug, "-p", pid, "--decision", suggested.value, "--reason", reason, *when
        )
        closed = "the answer window is closed"
        if state.information is not None:
            closed = f"the request for information due {due} went unanswered"
        what = f"{closed}; determine the final decision"
        return item(due, "determining_official", what, command, "determine")
    if step is Step.RESPONSE_RECEIVED:
        return item(today, "operator", "a response waits for its evaluation", review, "review")
    if step not in _LABELS or due is None or (due > horizon and not _passed(due, today)):
        return None
    if not _passed(due, today):
        status = command_line("status", "-p", pid, slug, *when)
        return item(due, JURISDICTION, f"{_LABELS[step]}: answer due {due}", status, None)
    if step is Step.AWAITING_INFORMATION:  # nothing moves on its own: a reviewer extends it
        until = (today + timedelta(days=EXTENSION_DAYS)).isoformat()
        reason = f"request for information overdue since {due}"
        command = command_line(
            "extend", slug, "-p", pid, "--until", until, "--reason", reason, *when
        )
        return item(due, "reviewer", f"{reason}; extend it", command, "extend")
    what = f"{_LABELS[step]}: overdue since {due}; review records what follows"
    return item(due, "operator", what, review, "review")


def integration_item(
    newest_commit: datetime | None,
    checkpoint_time: datetime | None,
    now: datetime,
    *,
    lag: timedelta = INTEGRATION_LAG,
) -> InboxItem | None:
    """Commits that no signed checkpoint holds, recorded more than `lag` before `now`.

    The signal is the recorded times alone (the newest review commit against the newest
    signed checkpoint), so it costs no listing of the tree; a commit stored while a
    checkpoint was being signed is seen once a later commit or the hourly sweep lands.
    """
    if newest_commit is None or (checkpoint_time is not None and checkpoint_time >= newest_commit):
        return None
    if now - newest_commit <= lag:
        return None
    signed = (
        "no signed checkpoint yet"
        if checkpoint_time is None
        else f"the newest signed checkpoint is of {format_time(checkpoint_time)}"
    )
    what = (
        f"commits recorded up to {format_time(newest_commit)} are in no signed checkpoint"
        f" ({signed}): their transparency-log integration was deferred or failed; sign one"
    )
    return InboxItem(
        LOG,
        None,
        newest_commit.date(),
        overdue=True,
        waiting_on="operator",
        what=what,
        command=command_line("checkpoint"),
    )


def untrusted_log_item(problem: str, today: date) -> InboxItem:
    """The newest checkpoint does not verify: an auditor looks before anyone signs more."""
    return InboxItem(
        LOG,
        None,
        today,
        overdue=True,
        waiting_on="auditor",
        what=f"the transparency log's newest checkpoint does not verify ({problem})",
        command=command_line("audit", "verify"),
    )


def unsent_item(
    program: str, count: int, *, today: date, asked_as_of: datetime | None
) -> InboxItem:
    """One line for every imported jurisdiction of `program` that got no letter yet."""
    command = command_line("review", "-p", program, "--all", *_as_of(asked_as_of))
    what = f"{count} jurisdiction{'s' if count != 1 else ''} with no letter yet"
    return InboxItem(
        program,
        None,
        today,
        overdue=False,
        waiting_on="operator",
        what=what,
        command=command,
        act_type="review",
    )


def approval_item(
    program: str,
    *,
    act_id: str,
    act_type: str,
    subjects: Sequence[str],
    proposed_by: str,
    approvers: Sequence[str],
    needed: int,
    today: date,
) -> InboxItem:
    """An act proposed under the two-person rule that waits for another person's approval."""
    what = (
        f"{act_type} proposed by {proposed_by} waits for approval"
        f" ({1 + len(approvers)} of {needed} people so far)"
    )
    command = command_line("approve", act_id, "--program", program)
    jurisdiction = subjects[0] if len(subjects) == 1 else None
    waiting_on = f"another person who may {act_type} (not {proposed_by})"
    return InboxItem(
        program,
        jurisdiction,
        today,
        overdue=False,
        waiting_on=waiting_on,
        what=what,
        command=command,
        act_type=act_type,
        act_id=act_id,
        excluded=(proposed_by, *approvers),
    )


def for_actor(item: InboxItem, actor: str, people: PeopleFile | None, now: datetime) -> InboxItem:
    """The item as `actor` sees it: may they act (roles in force now), and the command naming them.

    Without a people file acts are unsigned: anyone may.
    """
    if item.act_type is None:
        return item
    roles = (
        {role for entry in people.entries(actor, now) for role in entry.roles} if people else set()
    )
    allowed = people is None or (
        actor not in item.excluded and bool(roles & roles_for(ActType(item.act_type)))
    )
    command = (
        shlex.join([*shlex.split(item.command), "--actor", actor]) if allowed else item.command
    )
    return replace(item, may_act=allowed, command=command)


def sort_items(items: Sequence[InboxItem]) -> list[InboxItem]:
    """By due date (undated last), then program and jurisdiction: the oldest need first."""
    return sorted(
        items, key=lambda i: (i.due or date.max, i.program, i.jurisdiction or "", i.command)
    )
