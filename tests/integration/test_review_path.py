"""The four 2017 PSP jurisdictions end to end on real SeaweedFS and a real Prefect server."""

from __future__ import annotations

import json
from pathlib import Path

from mypy_boto3_s3 import S3Client

from tests.conftest import Cli, count_objects

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"
SEEDS = ["albuquerque-nm", "baltimore-md", "san-bernardino-ca", "stockton-ca"]


def _respond_all(cli: Cli) -> None:
    for slug in SEEDS:
        result = cli(
            "respond",
            slug,
            "--program",
            "psp-2017",
            "--file",
            EXAMPLES / f"{slug}.json",
            "--as-of",
            "2017-08-18",
        )
        assert result.code == 0, result


def test_letters_responses_and_decisions(
    cli: Cli, operator_client: S3Client, s3_prefix: str
) -> None:
    """Review sends four letters; each response leads to a durable, explained decision."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    reviewed = cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03", "--json")
    assert reviewed.code == 0, reviewed
    assert [row["step"] for row in json.loads(reviewed.stdout)] == ["letter_sent"] * 4
    _respond_all(cli)
    status = cli("status", "--program", "psp-2017", "--json")
    rows = json.loads(status.stdout)
    assert [row["jurisdiction"] for row in rows] == SEEDS
    assert {row["decision"] for row in rows} == {"ineligible"}
    assert {row["step"] for row in rows} == {"decided"}
    stockton = rows[SEEDS.index("stockton-ca")]
    assert any("detention_access" in reason for reason in stockton["reasons"])
    keys = [
        item["Key"]
        for item in operator_client.list_objects_v2(
            Bucket="grantreview-test", Prefix=f"{s3_prefix}streams/psp-2017/stockton-ca/"
        )["Contents"]
    ]
    assert [key.rsplit("/", 1)[1] for key in keys] == [f"{seq:020d}.json" for seq in range(3)]


def test_second_review_and_respond_add_nothing(
    cli: Cli, operator_client: S3Client, s3_prefix: str
) -> None:
    """Running review or respond again with the same input writes no object to S3."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    assert cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03").code == 0
    _respond_all(cli)
    before = count_objects(operator_client, s3_prefix)
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    assert cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03").code == 0
    assert cli("review", "--program", "psp-2017", "stockton-ca").code == 0
    _respond_all(cli)
    assert count_objects(operator_client, s3_prefix) == before
