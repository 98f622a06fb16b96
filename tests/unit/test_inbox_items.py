"""The inbox's pure core: who may act on an item, and the order items are listed in."""

from __future__ import annotations

import shlex
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import yaml

from schemas.people.people_file import parse_people
from schemas.planning.inbox import InboxItem, approval_item, for_actor, sort_items
from tests.support.people import make_key, people_yaml

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _approval() -> InboxItem:
    return approval_item(
        "psp-2017",
        act_id="a1b2",
        act_type="determine",
        subjects=["stockton-ca"],
        proposed_by="dora",
        approvers=[],
        needed=2,
        today=date(2017, 8, 21),
    )


def test_only_another_person_with_the_role_may_approve(tmp_path: Path) -> None:
    """Dan may (his command names him); Dora proposed it; Olga lacks the role."""
    people = parse_people(
        yaml.safe_load(
            people_yaml(
                [
                    (name, roles, make_key(tmp_path, name).public, "2020-01-01", None)
                    for name, roles in (
                        ("dora", ["determining_official"]),
                        ("dan", ["determining_official"]),
                        ("olga", ["operator"]),
                    )
                ]
            )
        ),
        source="test",
    )
    dan, dora, olga = (for_actor(_approval(), who, people, NOW) for who in ("dan", "dora", "olga"))
    assert (dan.may_act, dora.may_act, olga.may_act) == (True, False, False)
    assert shlex.split(dan.command)[-2:] == ["--actor", "dan"]
    assert "--actor" not in dora.command
    assert for_actor(_approval(), "olga", None, NOW).may_act is True  # no people file: unsigned


def test_items_are_sorted_oldest_due_first_and_undated_last() -> None:
    """An overdue letter before a window closing later; an item without a date at the end."""
    late = InboxItem("p", "a", date(2017, 8, 18), overdue=True, waiting_on="operator",
                     what="", command="grantreview review -p p a")  # fmt: skip
    soon = InboxItem("p", "b", date(2017, 8, 25), overdue=False, waiting_on="jurisdiction",
                     what="", command="grantreview status -p p b")  # fmt: skip
    undated = InboxItem("p", "c", None, overdue=False, waiting_on="auditor", what="",
                        command="grantreview audit verify")  # fmt: skip
    assert sort_items([undated, soon, late]) == [late, soon, undated]


def test_the_inbox_command_imports_no_prefect() -> None:
    """Like `status`: the CLI entry and every module `inbox` runs leave Prefect unimported."""
    import subprocess  # noqa: PLC0415 - only this test starts a process
    import sys  # noqa: PLC0415

    script = (
        "import sys, cli.main, cli.inbox, usecases.inbox, infra.runtime;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'prefect', 'boto3'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() in {"[]", "['boto3']"}, done.stdout  # never 'prefect'
