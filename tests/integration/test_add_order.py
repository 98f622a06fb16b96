"""From preview to action on real SeaweedFS: add the order (a signed act), reevaluate, audit."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from infra.files.programs import load_program
from infra.platform.settings import REPO_PROGRAMS_DIR
from tests.conftest import count_objects
from tests.integration.test_preview import AS_OF, PROGRAM
from tests.integration.test_preview import ORDER as PREVIEWED
from tests.support.builders import csv_bytes, seed_decided_streams, synthetic_jurisdictions
from tests.support.people import make_key, people_yaml

if TYPE_CHECKING:
    from pathlib import Path

    from mypy_boto3_s3 import S3Client

    from infra.eventlog.log import EventLog
    from schemas.program.jurisdiction import Jurisdiction
    from tests.conftest import Cli

ORDER: dict[str, Any] = {**PREVIEWED, "scope": {"states": ["CA", "IL"]}}  # two states only
OVERRIDDEN = 3


@pytest.fixture
def office(cli: Cli, signed_event_log: EventLog, tmp_path: Path) -> list[Jurisdiction]:
    """30 decided (ineligible) jag-fy2017 streams, three overridden; Dora signs, Olga operates.

    The programs folder is a copy: `add-order` writes into it.
    """
    programs = tmp_path / "programs"
    shutil.copytree(REPO_PROGRAMS_DIR, programs)
    keys = {name: make_key(tmp_path, name) for name in ("dora", "olga")}
    people = tmp_path / "people.yaml"
    people.write_text(
        people_yaml(
            [
                ("dora", ["determining_official"], keys["dora"].public, "2020-01-01", None),
                ("olga", ["operator"], keys["olga"].public, "2020-01-01", None),
            ]
        )
    )
    cli.env |= {
        "GRANTREVIEW_PROGRAMS_DIR": str(programs),
        "GRANTREVIEW_PEOPLE_FILE": str(people),
        "GRANTREVIEW_PERSON_KEY_FILE": str(keys["olga"].path),
        "GRANTREVIEW_PERSON_KEY_PASSPHRASE": "",
        "GRANTREVIEW_ACTOR": "olga",
    }
    places = synthetic_jurisdictions(30)
    registry = tmp_path / "jurisdictions.csv"
    registry.write_bytes(csv_bytes(places))
    assert cli("jurisdictions", "import", registry).code == 0
    bundle = load_program(programs, PROGRAM)
    assert seed_decided_streams(signed_event_log, bundle, places, workers=8) == len(places)
    assert cli("checkpoint").code == 0  # the seeded commits become leaves of the tree
    cli.env |= {"GRANTREVIEW_PERSON_KEY_FILE": str(keys["dora"].path), "GRANTREVIEW_ACTOR": "dora"}
    for place in places[:OVERRIDDEN]:
        result = cli(
            "override", place.slug, "--program", PROGRAM, "--decision", "ineligible",
            "--reason", "a person's review",
        )  # fmt: skip
        assert result.code == 0, result
    cli.env["GRANTREVIEW_PERSON_KEY_FILE"] = str(keys["olga"].path)
    return places


def test_add_order_then_reevaluate_changes_exactly_what_the_preview_listed(
    cli: Cli, office: list[Jurisdiction], tmp_path: Path
) -> None:
    """The act records the preview's hash; reevaluate revises exactly the previewed reviews."""
    order = tmp_path / "order.yaml"
    order.write_text(yaml.safe_dump(ORDER, sort_keys=False), encoding="utf-8")
    report = tmp_path / "preview.html"
    shown = cli(
        "preview", "--program", PROGRAM, "--order", order, "--as-of", AS_OF, "--json",
        "--report", report,
    )  # fmt: skip
    assert shown.code == 0, shown
    previewed = json.loads(shown.stdout)
    html = report.read_text(encoding="utf-8")
    assert previewed["preview_sha256"] in html
    assert all(f'id="notice--{row["jurisdiction"]}"' in html for row in previewed["changed"])
    assert 0 < len(previewed["changed"]) < len(office) - OVERRIDDEN
    add = ("programs", "add-order", PROGRAM, order, "--as-of", AS_OF, "--json")
    refused = cli(*add, "--actor", "olga")  # an operator may not
    assert refused.code == 2, refused
    assert "may not add-order" in refused.stderr
    dora = tmp_path / "dora_ed25519"
    cli.env |= {"GRANTREVIEW_PERSON_KEY_FILE": str(dora), "GRANTREVIEW_ACTOR": "dora"}
    added = cli(*add, "--actor", "dora", "--preview-sha256", previewed["preview_sha256"])
    assert added.code == 0, added
    act = json.loads(added.stdout)
    assert act["preview_sha256"] == previewed["preview_sha256"]
    assert act["changed"] == [row["jurisdiction"] for row in previewed["changed"]]
    again = cli(*add, "--actor", "dora")
    assert again.code == 2, again
    assert "unchanged" in again.stderr

    done = cli("reevaluate", "--program", PROGRAM, "--as-of", AS_OF, "--json")
    assert done.code == 0, done
    revised = json.loads(done.stdout)
    assert [(c["jurisdiction"], c["after"], c["reasons"]) for c in revised["changes"]] == [
        (r["jurisdiction"], r["after"], r["reasons"]) for r in previewed["changed"]
    ]
    assert revised["program_sha256"] == act["program_sha256"]

    verified = cli("audit", "verify", "--program", PROGRAM)
    assert verified.code == 0, verified
    listed = cli("audit", "acts", "--program", PROGRAM, "--json")
    assert listed.code == 0, listed
    rows = [row for row in json.loads(listed.stdout) if row["type"] == "add-order"]
    assert len(rows) == 1
    assert rows[0]["verifies"] is True
    assert rows[0]["actor"] == "dora"
    params = json.loads(rows[0]["signed_bytes"])["params"]
    assert params["preview_sha256"] == previewed["preview_sha256"]
    assert params["program_sha256"] == act["program_sha256"]


def test_bad_orders_are_refused_with_nothing_written(
    cli: Cli, office: list[Jurisdiction], tmp_path: Path, operator_client: S3Client, s3_prefix: str
) -> None:
    """No sources, an unknown program, a malformed file: exit 2, one line, nothing written."""
    del office
    dora = tmp_path / "dora_ed25519"
    cli.env |= {"GRANTREVIEW_PERSON_KEY_FILE": str(dora), "GRANTREVIEW_ACTOR": "dora"}
    before = count_objects(operator_client, s3_prefix)
    program_yaml = (tmp_path / "programs" / PROGRAM / "program.yaml").read_bytes()
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump({k: v for k, v in ORDER.items() if k != "sources"}))
    malformed = tmp_path / "malformed.yaml"
    malformed.write_text("id: [unclosed\n")
    good = tmp_path / "order.yaml"
    good.write_text(yaml.safe_dump(ORDER))
    for program, path, said in (
        (PROGRAM, bare, "sources"),
        (PROGRAM, malformed, "malformed.yaml"),
        ("no-such-program", good, "no program"),
    ):
        result = cli("programs", "add-order", program, path, "--actor", "dora")
        assert result.code == 2, result
        assert said in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert count_objects(operator_client, s3_prefix) == before
    assert (tmp_path / "programs" / PROGRAM / "program.yaml").read_bytes() == program_yaml
