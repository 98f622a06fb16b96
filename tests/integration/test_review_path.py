"""The four 2017 PSP jurisdictions end to end on real SeaweedFS and a real Prefect server."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from mypy_boto3_s3 import S3Client

from infra.eventlog.appender import append_planned
from infra.runtime import get_runtime
from schemas.events.catalog import LetterSent
from schemas.log.streams import StreamId
from schemas.planning.review import plan_letter
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


def test_rerun_covers_commits_left_without_a_checkpoint(cli: Cli) -> None:
    """A run that died before its checkpoint is covered by the rerun, which appends nothing."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    writer = get_runtime().log  # the crashed run wrote as any run does: signed with the system key
    stream = StreamId(program="psp-2017", jurisdiction="stockton-ca")
    letter = LetterSent(
        letter_sha256="a" * 64,
        letter_date=date(2017, 8, 3),
        response_due=date(2017, 8, 18),
        delivery="none",
    )
    result = append_planned(
        writer,
        writer.state(stream),
        lambda state: plan_letter(state, letter),
        time=datetime.now(UTC),
        actor="crashed-run",
    )
    assert result.written
    before = json.loads(cli("audit", "verify", "--json").stdout)
    assert before["uncovered_commits"] == 1  # the crashed run's commit, under no checkpoint
    rerun = cli("review", "--program", "psp-2017", "stockton-ca", "--as-of", "2017-08-03", "--json")
    assert json.loads(rerun.stdout)[0]["appended"] == 0
    verified = cli("audit", "verify", "--json")
    assert verified.code == 0, verified
    assert json.loads(verified.stdout)["uncovered_commits"] == 0
