"""The office's inbox across programs, read straight from S3 (no Prefect import).

Gathers each program's stream states the way `status` does, and its open proposals; the
pure core (`schemas.planning.inbox`) says what waits, on whom, and the command for it.
One more item concerns the whole log: review commits that no signed checkpoint holds
(their transparency-log integration deferred or failed), read from the newest signed
checkpoint (read-only; `infra/eventlog/integrator.py`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from infra.errors import UntrustedCheckpointError
from infra.eventlog.integrator import Integrator
from infra.platform.clock import utc_now
from schemas.log.state import Step
from schemas.log.streams import StreamId
from schemas.planning.inbox import (
    InboxItem,
    approval_item,
    command_line,
    for_actor,
    integration_item,
    sort_items,
    stream_item,
    unsent_item,
    untrusted_log_item,
)
from usecases.people import people_in_force
from usecases.proposals import pending_acts

if TYPE_CHECKING:
    from infra.runtime import Runtime

__all__ = ["DEFAULT_DUE_WITHIN_DAYS", "inbox_items", "program_ids"]

DEFAULT_DUE_WITHIN_DAYS = 14
"""How far ahead the inbox looks for answers coming due."""


def program_ids(runtime: Runtime) -> list[str]:
    """Every program folder with a program.yaml, sorted (the programs `serve` offers too)."""
    folder = runtime.settings.programs_dir
    return sorted(
        path.name
        for path in folder.iterdir()
        if (path / "program.yaml").is_file() and not path.name.startswith((".", "_"))
    )


def _damaged(program: str, stream: StreamId, moment: datetime) -> InboxItem:
    """A stream that cannot be read waits on an auditor before anyone acts on it."""
    command = command_line("audit", "verify", "--program", program)
    what = "the stream cannot be read (damaged or untrusted); verify the log"
    return InboxItem(
        program,
        stream.jurisdiction,
        moment.date(),
        overdue=False,
        waiting_on="auditor",
        what=what,
        command=command,
    )


def _integration(runtime: Runtime, newest_commit: datetime | None) -> InboxItem | None:
    """Review commits no signed checkpoint holds, by the writer's clock (not `--as-of`).

    Without a keyring (no verify or signing key configured) nothing is signed to compare
    with, so nothing is said.
    """
    keyring = runtime.commit_keys.keyring
    if newest_commit is None or keyring is None or not keyring.keys:
        return None
    reader = Integrator(runtime.log, origin=runtime.origin, signer=None, keyring=keyring)
    now = utc_now()
    try:
        newest = reader.newest()
    except UntrustedCheckpointError as error:
        return untrusted_log_item(str(error), now.date())
    return integration_item(newest_commit, newest.time, now)


def _program_items(
    runtime: Runtime,
    program: str,
    slugs: list[str],
    moment: datetime,
    *,
    horizon_days: int,
    asked: datetime | None,
    named: bool,
    recorded: list[datetime],
) -> list[InboxItem]:
    """What waits in one program: its streams, one line for letters unsent, its proposals.

    Letters not sent yet are one line where the program is in use (a review has begun) or
    was `named`: an office does not run every program in its folder. The newest commit
    time of its streams is added to `recorded`.
    """
    streams = [StreamId(program=program, jurisdiction=slug) for slug in slugs]
    states, damaged = runtime.log.trusted_states(streams)
    horizon = moment.date() + timedelta(days=horizon_days)
    proposals = pending_acts(runtime, program)
    proposed = {s for found in proposals.values() for s in found.proposal.act.subjects}
    items = [_damaged(program, stream, moment) for stream in damaged]
    recorded.extend(s.last_event_time for s in states.values() if s.last_event_time is not None)
    unsent = 0
    for state in states.values():
        if state.step is Step.NEW:
            unsent += 1
            continue
        # loaded (and cached) only where a review has begun: a program nobody reviews costs
        # its listing, not the parsing and CEL compilation of its definition
        definition = runtime.program(program).program
        found = stream_item(state, definition, as_of=moment, horizon=horizon, asked_as_of=asked)
        # a determination already proposed waits for approval instead: its own item below
        if found is not None and not (
            found.act_type == "determine" and found.jurisdiction in proposed
        ):
            items.append(found)
    if unsent and (named or unsent < len(states)):
        items.append(unsent_item(program, unsent, today=moment.date(), asked_as_of=asked))
    for act_id, pending in proposals.items():
        act = pending.proposal.act
        items.append(
            approval_item(
                program,
                act_id=act_id,
                act_type=act.type.value,
                subjects=act.subjects,
                proposed_by=act.actor,
                approvers=pending.approvers,
                needed=pending.needed,
                today=moment.date(),
            )
        )
    return items


def inbox_items(
    runtime: Runtime,
    programs: list[str] | None = None,
    *,
    actor: str | None = None,
    due_within_days: int = DEFAULT_DUE_WITHIN_DAYS,
    as_of: datetime | None = None,
) -> list[InboxItem]:
    """What waits across `programs` (default every one), sorted by due date.

    With `actor`, each item says whether that person may act on it (their roles in the
    people file in force; never on their own proposal), and the commands they may run name
    them. `as_of` (the `--as-of` asked) is repeated in each command.
    """
    moment = as_of or utc_now()
    slugs = sorted(runtime.registry())  # read once for every program
    recorded: list[datetime] = []
    items = [
        item
        for program in programs or program_ids(runtime)
        for item in _program_items(
            runtime,
            program,
            slugs,
            moment,
            horizon_days=due_within_days,
            asked=as_of,
            named=bool(programs),
            recorded=recorded,
        )
    ]
    unsigned = _integration(runtime, max(recorded, default=None))
    if unsigned is not None:
        items.append(unsigned)
    if actor is not None:
        found = people_in_force(runtime)
        people = None if found is None else found.people
        now = utc_now()
        items = [for_actor(item, actor, people, now) for item in items]
    return sort_items(items)
