"""`grantreview inbox` on SeaweedFS and Prefect: each thing that waits once, its command works.

The staged test program under the two-person rule, four cities in four places: Albuquerque
never answered (letter overdue), Baltimore's answer window is open (closing soon),
San Bernardino's request for information is overdue, Stockton's determination waits for a
second official's approval. Each printed command is run exactly as a shell splits it.
"""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.test_people import Office
from tests.integration.test_people_staged import office, respond
from tests.integration.test_staged_reviews import QUESTIONS, SEEDS_CSV
from tests.support.people import make_key

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["office"]  # a fixture used here by name

PROGRAM = "staged-person"
DAY = "2017-08-21"


@pytest.fixture
def team(office: Office, tmp_path: Path) -> Office:
    """The two-person office of test_people_staged, and Rita (reviewer)."""
    office.keys["rita"] = make_key(tmp_path, "rita")
    office.write_people(
        [
            ("olga", ["operator"], office.keys["olga"].public, "2020-01-01", None),
            ("dora", ["determining_official"], office.keys["dora"].public, "2020-01-01", None),
            ("dan", ["determining_official"], office.keys["dan"].public, "2020-01-01", None),
            ("rita", ["reviewer"], office.keys["rita"].public, "2020-01-01", None),
        ]
    )
    return office


def _ok(office: Office, person: str, *args: str) -> str:
    result = office.run(person, *args)
    assert result.code == 0, result
    return result.stdout


def _inbox(office: Office, person: str, *extra: str) -> list[dict[str, Any]]:
    out = _ok(office, person, "inbox", "--as-of", DAY, "--json", *extra)
    items = json.loads(out)
    assert isinstance(items, list)
    return items


def _by_place(items: list[dict[str, Any]]) -> dict[str | None, dict[str, Any]]:
    places = [item["jurisdiction"] for item in items]
    assert len(places) == len(set(places)), places  # each listed once
    return {item["jurisdiction"]: item for item in items}


def _run_printed(office: Office, person: str, command: str) -> str:
    words = shlex.split(command)
    assert words[0] == "grantreview", command
    return _ok(office, person, *words[1:])


def _step(office: Office, slug: str) -> dict[str, Any]:
    out = _ok(office, "olga", "status", "-p", PROGRAM, slug, "--as-of", DAY, "--json")
    (row,) = json.loads(out)
    assert isinstance(row, dict)
    return row


def _walk_to_four_places(office: Office) -> str:
    """Letters on 08-03; answers, a request for information and a proposal by 08-20."""
    _ok(office, "olga", "jurisdictions", "import", str(SEEDS_CSV))
    _ok(office, "olga", "review", "-p", PROGRAM, "--all", "--as-of", "2017-08-03")
    respond(office, "no", "2017-08-15", slug="baltimore-md")
    respond(office, "no", "2017-08-10", slug="san-bernardino-ca")
    request = ("request-info", "san-bernardino-ca", "-p", PROGRAM, "--question", QUESTIONS[0])
    _ok(office, "rita", *request, "--due", "2017-08-18", "--reason", "who runs the jail?",
        "--as-of", "2017-08-11")  # fmt: skip
    respond(office, "not_applicable", "2017-08-10", slug="stockton-ca")
    respond(office, "yes", "2017-08-20", slug="stockton-ca")
    determine = ("determine", "stockton-ca", "-p", PROGRAM, "--decision", "eligible")
    out = _ok(office, "dora", *determine, "--reason", "answered", "--as-of", "2017-08-20", "--json")
    proposed = json.loads(out)
    assert proposed["status"] == "proposed"
    return str(proposed["act_id"])


def test_the_inbox_lists_each_waiting_thing_once_and_its_command_works(team: Office) -> None:
    """Four places, four lines; each command, run as printed, moves its review on."""
    office = team
    act_id = _walk_to_four_places(office)
    items = _by_place(_inbox(office, "dan", "--actor", "dan"))
    assert set(items) == {"albuquerque-nm", "baltimore-md", "san-bernardino-ca", "stockton-ca"}
    assert [item["due"] for item in _inbox(office, "dan")] == sorted(
        item["due"] for item in items.values()
    )
    letter, window = items["albuquerque-nm"], items["baltimore-md"]
    request, approval = items["san-bernardino-ca"], items["stockton-ca"]
    assert (letter["waiting_on"], letter["overdue"], letter["due"]) == (
        "operator",
        True,
        "2017-08-18",
    )
    assert (window["waiting_on"], window["overdue"]) == ("jurisdiction", False)
    assert (request["waiting_on"], request["due"]) == ("reviewer", "2017-08-18")
    assert "request for information overdue" in request["what"]
    assert approval["act_id"] == act_id  # the id `determine --json` gave
    assert approval["may_act"] is True
    assert approval["command"].endswith("--actor dan")
    dora = _by_place(_inbox(office, "dora", "--actor", "dora"))["stockton-ca"]
    assert dora["may_act"] is False  # her own proposal
    assert "--actor" not in dora["command"]

    table = _ok(office, "dan", "status", "-p", PROGRAM, "--as-of", DAY)
    assert f"(grantreview approve {approval['act_id']} --program {PROGRAM})" in table
    assert "baltimore-md" in _run_printed(office, "olga", window["command"])
    _run_printed(office, "olga", letter["command"])
    assert _step(office, "albuquerque-nm")["step"] == "preliminary"  # the no-response decision
    assert "deadline extended" in _run_printed(office, "rita", request["command"])
    _run_printed(office, "dan", approval["command"])
    assert (_step(office, "stockton-ca")["stage"], _step(office, "stockton-ca")["decision"]) == (
        "final",
        "eligible",
    )
    after = _by_place(_inbox(office, "dan", "--actor", "dan"))
    assert "stockton-ca" not in after
    assert (after["san-bernardino-ca"]["waiting_on"], after["san-bernardino-ca"]["due"]) == (
        "jurisdiction",
        "2017-08-28",
    )
    assert after.get("albuquerque-nm", {}).get("what") != letter["what"]
    # Past the extended request (08-28) and the answer window: the determining official's.
    later = _ok(office, "dan", "inbox", "--as-of", "2017-09-05", "--json", "--actor", "dan")
    unanswered = _by_place(json.loads(later))["san-bernardino-ca"]
    assert unanswered["waiting_on"] == "determining_official"
    assert "request for information due 2017-08-28 went unanswered" in unanswered["what"]
    assert unanswered["command"].startswith("grantreview determine san-bernardino-ca ")
    assert "proposed" in _run_printed(office, "dan", unanswered["command"])


def test_the_inbox_prints_one_line_and_its_command_per_item(team: Office) -> None:
    """The table names whom each waits on, its command underneath; an idle review says so."""
    office = team
    _ok(office, "olga", "jurisdictions", "import", str(SEEDS_CSV))
    assert "nothing waits" in _ok(office, "olga", "inbox", "--as-of", DAY)  # no program in use
    out = _ok(office, "olga", "inbox", "--as-of", DAY, "--program", PROGRAM)
    assert "4 jurisdictions with no letter yet; waiting on operator" in out
    assert f"    grantreview review -p {PROGRAM} --all --as-of {DAY}" in out
    review = ("review", "-p", PROGRAM, "--all", "--as-of", "2017-08-03")
    assert "nothing to do" not in _ok(office, "olga", *review)
    again = _ok(office, "olga", *review)
    assert "nothing to do: every jurisdiction is already as far" in again
    assert "grantreview inbox" in again
    bad = office.run("olga", "inbox", "--due-within", "soon")
    assert bad.code == 2
    assert "--due-within 'soon' is not a number of days" in bad.stderr
