"""A staged review's determination under the two-person rule, on SeaweedFS and Prefect (#15).

The staged test program (tests/fixtures/programs/staged) asks, in this copy, that two
determining officials agree on a determination: `approvals: {determine: 2}`. Everyone
signs with their own key; the proposer cannot approve, a second official can.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import count_objects
from tests.integration.test_people import Office
from tests.integration.test_staged_reviews import FIXTURES, QUESTIONS, SEEDS_CSV
from tests.support.people import copy_program

if TYPE_CHECKING:
    from pathlib import Path

    from mypy_boto3_s3 import S3Client

PROGRAM = "staged-person"
SLUG = "stockton-ca"


@pytest.fixture
def office(
    tmp_path: Path,
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Office:
    """Olga (operator), Dora and Dan (determining officials) over the two-person program."""
    programs = copy_program(FIXTURES, tmp_path / "programs", PROGRAM, "approvals: {determine: 2}")
    return Office(
        tmp_path, {**cli_env, "GRANTREVIEW_PROGRAMS_DIR": str(programs)}, monkeypatch, capsys
    )


def respond(office: Office, answer: str, day: str, slug: str = SLUG) -> None:
    """Olga records the jurisdiction's answer to every question, received at noon on `day`."""
    body = {
        "jurisdiction": slug,
        "program": PROGRAM,
        "received_at": f"{day}T12:00:00+00:00",
        "respondent": {"name": "Office of the Chief", "title": "Chief of Police"},
        "answers": {question: {"answer": answer} for question in QUESTIONS},
    }
    path = office.tmp / f"{slug}-{answer}-{day}.json"
    path.write_text(json.dumps(body))
    args = ("respond", slug, "-p", PROGRAM, "-f", path, "--as-of", f"{day}T13:00:00Z")
    result = office.run("olga", *args)
    assert result.code == 0, result


def _row(office: Office, as_of: str) -> dict[str, Any]:
    result = office.run("dan", "status", "-p", PROGRAM, SLUG, "--json", "--as-of", as_of)
    assert result.code in {0, 1}, result
    (row,) = json.loads(result.stdout)
    assert isinstance(row, dict)
    return row


def test_a_determination_takes_effect_only_when_a_second_official_approves(
    office: Office, operator_client: S3Client, s3_prefix: str
) -> None:
    """Dora's determination waits; her own approval is refused; Dan's makes it final."""
    assert office.run("olga", "jurisdictions", "import", SEEDS_CSV).code == 0
    review = ("review", "-p", PROGRAM, SLUG, "--as-of", "2017-08-03")
    assert office.run("olga", *review).code == 0
    respond(office, "not_applicable", "2017-08-10")
    respond(office, "yes", "2017-08-20")
    assert _row(office, "2017-08-21")["step"] == "awaiting_determination"

    determine = ("determine", SLUG, "-p", PROGRAM, "--decision", "eligible")
    proposed = office.run("dora", *determine, "--reason", "answered", "--as-of", "2017-08-28")
    assert proposed.code == 0, proposed
    assert "proposed" in proposed.stdout
    act_id = proposed.stdout.split("(act ", 1)[1].split(")", 1)[0]
    row = _row(office, "2017-08-29")
    assert (row["stage"], row["awaiting_approval"][0]["proposed_by"]) == ("preliminary", "dora")

    before = count_objects(operator_client, s3_prefix)
    own = office.run("dora", "approve", act_id, "-p", PROGRAM)
    assert own.code == 2, own
    assert "self_approval" in own.stderr
    assert count_objects(operator_client, s3_prefix) == before
    olga = office.run("olga", "approve", act_id, "-p", PROGRAM)  # an operator may not
    assert olga.code == 2, olga
    assert count_objects(operator_client, s3_prefix) == before

    approved = office.run("dan", "approve", act_id, "-p", PROGRAM, "--json")
    assert approved.code == 0, approved
    assert json.loads(approved.stdout)["status"] == "approved"
    row = _row(office, "2017-08-29")
    assert (row["stage"], row["decision"]) == ("final", "eligible")
    assert "awaiting_approval" not in row
    listed = office.run("dan", "audit", "acts", "--program", PROGRAM, "--json")
    assert listed.code == 0, listed
    acts = {(r["type"], r["actor"], r["verifies"]) for r in json.loads(listed.stdout)}
    assert {("determine", "dora", True), ("approve", "dan", True)} <= acts
    assert office.run("dan", "audit", "verify").code == 0
    assert office.run("dan", "audit", "replay").code == 0
