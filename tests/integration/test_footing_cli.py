"""`explain`, `status --json`, `reevaluate --uncertain` on real SeaweedFS: the uncertain facts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from infra.files.programs import load_program
from infra.platform.settings import REPO_PROGRAMS_DIR
from schemas.program.jurisdiction import Jurisdiction
from tests.support.builders import csv_bytes, seed_decided_streams

if TYPE_CHECKING:
    from pathlib import Path

    from infra.eventlog.log import EventLog
    from tests.conftest import Cli

PROGRAM = "jag-fy2017"
DECIDED = "2017-12-01"
"""Philadelphia's preliminary injunction (an uncertain fact) is in force; it reaches only it."""
UNCERTAIN = "relies on an uncertain fact: court order philadelphia-v-sessions-pi (applied)"
PLACES = [
    Jurisdiction(slug="philadelphia-pa", name="Philadelphia, PA", state="PA", geoid="4260000"),
    Jurisdiction(slug="springfield-il", name="Springfield, IL", state="IL", geoid="1772000"),
]


def _decided(cli: Cli, log: EventLog, tmp_path: Path) -> None:
    """Both jurisdictions imported, each with a decision recorded on DECIDED."""
    registry = tmp_path / "jurisdictions.csv"
    registry.write_bytes(csv_bytes(PLACES))
    assert cli("jurisdictions", "import", registry).code == 0
    bundle = load_program(REPO_PROGRAMS_DIR, PROGRAM)
    when = datetime.fromisoformat(DECIDED).replace(tzinfo=UTC)
    assert seed_decided_streams(log, bundle, PLACES, decided_at=when, workers=2) == len(PLACES)


def test_explain_and_status_show_an_uncertain_fact_only_where_it_was_used(
    cli_s3: Cli, signed_event_log: EventLog, tmp_path: Path
) -> None:
    """Philadelphia's decision names its uncertain injunction and source; Springfield's none."""
    cli = cli_s3
    _decided(cli, signed_event_log, tmp_path)
    explained = {
        place.slug: cli("explain", place.slug, "--program", PROGRAM, "--as-of", DECIDED)
        for place in PLACES
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


@pytest.mark.usefixtures("prefect_server")
def test_reevaluate_uncertain_takes_only_decisions_resting_on_one(
    cli: Cli, signed_event_log: EventLog, tmp_path: Path
) -> None:
    """`reevaluate --uncertain` evaluates Philadelphia's decision again and not Springfield's."""
    _decided(cli, signed_event_log, tmp_path)
    every = cli("reevaluate", "-p", PROGRAM, "--as-of", DECIDED, "--dry-run", "--json")
    picked = cli(
        "reevaluate", "-p", PROGRAM, "--as-of", DECIDED, "--dry-run", "--uncertain", "--json"
    )
    assert (every.code, picked.code) == (0, 0), (every, picked)
    assert sum(json.loads(every.stdout)["counts"].values()) == len(PLACES)
    assert sum(json.loads(picked.stdout)["counts"].values()) == 1  # Philadelphia's alone
