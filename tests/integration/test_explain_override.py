"""`explain` reads only; `override` records a person's decision that automation does not undo."""

from __future__ import annotations

import json
from pathlib import Path

from mypy_boto3_s3 import S3Client

from tests.conftest import Cli, count_objects

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"


def _decided_stockton(cli: Cli) -> None:
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    assert cli("review", "--program", "psp-2017", "stockton-ca", "--as-of", "2017-08-03").code == 0
    result = cli(
        "respond",
        "stockton-ca",
        "--program",
        "psp-2017",
        "--file",
        EXAMPLES / "stockton-ca.json",
        "--as-of",
        "2017-08-18",
    )
    assert result.code == 0, result


def test_explain_lists_every_condition_and_writes_nothing(
    cli: Cli, operator_client: S3Client, s3_prefix: str
) -> None:
    """Explain gives outcome, version, reasons and every condition, and writes no object."""
    _decided_stockton(cli)
    before = count_objects(operator_client, s3_prefix)
    result = cli(
        "explain", "stockton-ca", "--program", "psp-2017", "--as-of", "2017-08-18", "--json"
    )
    assert result.code == 0, result
    document = json.loads(result.stdout)
    assert document["outcome"] == "ineligible"
    assert document["rule_set_version"] == 1
    assert [c["id"] for c in document["conditions"]] == [
        "detention-access",
        "release-notice",
        "detainer-hold",
    ]
    assert {c["status"] for c in document["conditions"]} == {"unmet"}
    assert all("waived_by" in c and "reason" in c for c in document["conditions"])
    assert count_objects(operator_client, s3_prefix) == before


def test_override_stands_against_later_automation(
    cli: Cli, operator_client: S3Client, s3_prefix: str
) -> None:
    """An override becomes the decision in force; a later review neither undoes nor repeats it."""
    _decided_stockton(cli)
    result = cli(
        "override",
        "stockton-ca",
        "--program",
        "psp-2017",
        "--decision",
        "eligible",
        "--reason",
        "County MOU grants DHS access",
        "--actor",
        "j.doe",
    )
    assert result.code == 0, result
    before = count_objects(operator_client, s3_prefix)
    assert cli("review", "--program", "psp-2017", "stockton-ca").code == 0
    again = cli(
        "override",
        "stockton-ca",
        "--program",
        "psp-2017",
        "--decision",
        "eligible",
        "--reason",
        "County MOU grants DHS access",
        "--actor",
        "j.doe",
    )
    assert "already on record" in again.stdout
    assert count_objects(operator_client, s3_prefix) == before
    row = json.loads(cli("status", "--program", "psp-2017", "stockton-ca", "--json").stdout)[0]
    assert row["decision"] == "eligible"
    assert row["overridden"] is True
    assert row["automatic_decision"] == "ineligible"


def test_override_refuses_a_pending_decision(cli: Cli) -> None:
    """An override must decide: 'pending' is refused with exit 2."""
    result = cli(
        "override",
        "stockton-ca",
        "--program",
        "psp-2017",
        "--decision",
        "pending",
        "--reason",
        "x",
        "--actor",
        "y",
    )
    assert result.code == 2
    assert "eligible or ineligible" in result.stderr
