"""`explain` and `status --json` say which uncertain facts a decision rests on, with the source."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli

PROGRAM = "jag-fy2017"
DECIDED = "2017-12-01"
"""Philadelphia's preliminary injunction (an uncertain fact) is in force; it reaches only it."""
UNCERTAIN = "relies on an uncertain fact: court order philadelphia-v-sessions-pi (applied)"
JURISDICTIONS = """slug,name,state,geoid
philadelphia-pa,"Philadelphia, PA",PA,4260000
springfield-il,"Springfield, IL",IL,1772000
"""


def _respond(cli: Cli, tmp_path: Path, slug: str) -> None:
    answers = {q: {"answer": "no"} for q in ("section_1373", "facility_access", "release_notice")}
    response = {
        "jurisdiction": slug,
        "program": PROGRAM,
        "received_at": "2017-09-01T12:00:00Z",
        "respondent": {"name": "A. Counsel", "title": "City Solicitor"},
        "answers": answers,
    }
    path = tmp_path / f"{slug}.json"
    path.write_text(json.dumps(response), encoding="utf-8")
    result = cli("respond", slug, "--program", PROGRAM, "--file", path, "--as-of", DECIDED)
    assert result.code == 0, result


def _decided(cli: Cli, tmp_path: Path) -> None:
    registry = tmp_path / "jurisdictions.csv"
    registry.write_text(JURISDICTIONS, encoding="utf-8")
    assert cli("jurisdictions", "import", registry).code == 0
    review = cli("review", "--program", PROGRAM, "--all", "--as-of", "2017-07-25")
    assert review.code == 0, review
    for slug in ("philadelphia-pa", "springfield-il"):
        _respond(cli, tmp_path, slug)


def test_explain_and_status_show_an_uncertain_fact_only_where_it_was_used(
    cli: Cli, tmp_path: Path
) -> None:
    """Philadelphia's decision names its uncertain injunction and source; Springfield's none."""
    _decided(cli, tmp_path)
    explained = {
        slug: cli("explain", slug, "--program", PROGRAM, "--as-of", DECIDED)
        for slug in ("philadelphia-pa", "springfield-il")
    }
    assert all(result.code == 0 for result in explained.values()), explained
    assert UNCERTAIN in explained["philadelphia-pa"].stdout
    assert "source: City of Philadelphia v. Sessions" in explained["philadelphia-pa"].stdout
    assert "relies on an uncertain fact" not in explained["springfield-il"].stdout

    status = cli("status", "--program", PROGRAM, "--json", "--as-of", DECIDED)
    assert status.code == 0, status
    rows = {row["jurisdiction"]: row for row in json.loads(status.stdout)}
    assert [fact["id"] for fact in rows["philadelphia-pa"]["uncertain_facts"]] == [
        "philadelphia-v-sessions-pi",  # applied
        "philadelphia-v-sessions-sj",  # reaches Philadelphia, checked: not yet in force
    ]
    assert rows["philadelphia-pa"]["uncertain_facts"][0]["text"].startswith(UNCERTAIN)
    assert rows["springfield-il"]["uncertain_facts"] == []

    only = cli("status", "--program", PROGRAM, "--json", "--uncertain", "--as-of", DECIDED)
    assert only.code == 0, only
    assert [row["jurisdiction"] for row in json.loads(only.stdout)] == ["philadelphia-pa"]

    every = cli("reevaluate", "-p", PROGRAM, "--as-of", DECIDED, "--dry-run", "--json")
    picked = cli(
        "reevaluate", "-p", PROGRAM, "--as-of", DECIDED, "--dry-run", "--uncertain", "--json"
    )
    assert (every.code, picked.code) == (0, 0), (every, picked)
    assert sum(json.loads(every.stdout)["counts"].values()) == 2
    assert sum(json.loads(picked.stdout)["counts"].values()) == 1  # Philadelphia's alone
