"""`preview` on real SeaweedFS: exactly what `reevaluate` then revises, and the notices sent."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from infra.eventlog.documents import document_key
from infra.files.programs import load_program
from infra.platform.settings import REPO_PROGRAMS_DIR
from schemas.events.catalog import NoticeSent
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from tests.conftest import TEST_BUCKET, count_objects
from tests.support.builders import csv_bytes, seed_decided_streams, synthetic_jurisdictions

if TYPE_CHECKING:
    from pathlib import Path

    from mypy_boto3_s3 import S3Client

    from infra.eventlog.log import EventLog
    from schemas.program.jurisdiction import Jurisdiction
    from tests.conftest import Cli

PROGRAM = "jag-fy2017"
AS_OF = "2017-08-25"
ORDER: dict[str, Any] = {
    "id": "hypothetical-nationwide-pi",
    "title": "Hypothetical nationwide preliminary injunction of the FY2017 conditions (test)",
    "sources": ["hypothetical (test only)"],
    "certainty": "uncertain",
    "uncertain_because": "hypothetical: no such order exists",
    "court": "N.D. Ill.",
    "case": "test",
    "kind": "preliminary_injunction",
    "issued": "2017-08-21",
    "effective_from": "2017-08-21",
    "waives": ["certify-1373", "access", "notice"],
    "scope": "nationwide",
}
OVERRIDDEN = 3


@pytest.fixture
def decided(cli: Cli, signed_event_log: EventLog, tmp_path: Path) -> list[Jurisdiction]:
    """30 decided (ineligible) jag-fy2017 streams, the first three overridden by a person.

    The shipped program with its review path (award actions, notices), not the one-stage copy.
    """
    places = synthetic_jurisdictions(30)
    registry = tmp_path / "jurisdictions.csv"
    registry.write_bytes(csv_bytes(places))
    cli.env["GRANTREVIEW_PROGRAMS_DIR"] = str(REPO_PROGRAMS_DIR)  # with its review path
    assert cli("jurisdictions", "import", registry).code == 0
    bundle = load_program(REPO_PROGRAMS_DIR, PROGRAM)
    assert seed_decided_streams(signed_event_log, bundle, places, workers=8) == len(places)
    for place in places[:OVERRIDDEN]:
        result = cli(
            "override", place.slug, "--program", PROGRAM, "--decision", "ineligible",
            "--reason", "a person's review", "--actor", "j.doe",
        )  # fmt: skip
        assert result.code == 0, result
    return places


def _programs_with_order(tmp_path: Path) -> Path:
    """A copy of programs/ with the order added to jag-fy2017, as `add-order` would."""
    root = tmp_path / "programs"
    shutil.copytree(REPO_PROGRAMS_DIR, root)
    path = root / PROGRAM / "program.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["court_orders"].append(ORDER)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return root


def test_preview_names_exactly_what_reevaluate_then_changes(
    cli: Cli,
    decided: list[Jurisdiction],
    tmp_path: Path,
    operator_client: S3Client,
    s3_prefix: str,
) -> None:
    """Preview writes nothing and its changed list is reevaluate's, outcome and reasons alike."""
    order_file = tmp_path / "order.yaml"
    order_file.write_text(yaml.safe_dump(ORDER), encoding="utf-8")
    before = count_objects(operator_client, s3_prefix)
    result = cli("preview", "--program", PROGRAM, "--order", order_file, "--as-of", AS_OF, "--json")
    assert result.code == 0, result
    previewed = json.loads(result.stdout)
    assert count_objects(operator_client, s3_prefix) == before
    overridden = sorted(place.slug for place in decided[:OVERRIDDEN])
    assert sorted(row["jurisdiction"] for row in previewed["unchanged"]) == overridden
    assert {row["status"] for row in previewed["unchanged"]} == {"overridden"}
    assert len(previewed["changed"]) == len(decided) - OVERRIDDEN
    assert {row["after"] for row in previewed["changed"]} == {"eligible"}
    assert all(row["award_action"] == "release" for row in previewed["changed"])
    assert all("**eligible**" in row["notice_draft"] for row in previewed["changed"])

    cli.env["GRANTREVIEW_PROGRAMS_DIR"] = str(_programs_with_order(tmp_path))
    done = cli("reevaluate", "--program", PROGRAM, "--as-of", AS_OF, "--json")
    assert done.code == 0, done
    revised = json.loads(done.stdout)
    shown = [(c["jurisdiction"], c["after"], c["reasons"]) for c in revised["changes"]]
    assert shown == [(r["jurisdiction"], r["after"], r["reasons"]) for r in previewed["changed"]]
    assert sorted(c["jurisdiction"] for c in revised["overridden"]) == overridden
    again = cli("preview", "--program", PROGRAM, "--order", order_file, "--as-of", AS_OF, "--json")
    assert json.loads(again.stdout)["changed"] == []


def test_the_notices_sent_after_reevaluate_are_the_previews_drafts(
    cli: Cli,
    decided: list[Jurisdiction],
    tmp_path: Path,
    operator_client: S3Client,
    s3_prefix: str,
    signed_event_log: EventLog,
) -> None:
    """A reevaluation makes a revision notice due; `review` sends the preview's bytes, once.

    The review pass runs ten days after the revision's date: a revision notice is dated the
    revision, so the bytes are still the preview's. Replay re-derives every revision and
    notice (the seeded commits, written without their documents or registry, aside).
    """
    assert cli("checkpoint").code == 0  # the seeded commits become leaves of the tree
    order_file = tmp_path / "order.yaml"
    order_file.write_text(yaml.safe_dump(ORDER), encoding="utf-8")
    shown = cli("preview", "--program", PROGRAM, "--order", order_file, "--as-of", AS_OF, "--json")
    assert shown.code == 0, shown
    drafts = {
        row["jurisdiction"]: row["notice_draft"] for row in json.loads(shown.stdout)["changed"]
    }
    assert len(drafts) == len(decided) - OVERRIDDEN

    cli.env["GRANTREVIEW_PROGRAMS_DIR"] = str(_programs_with_order(tmp_path))
    done = cli("reevaluate", "--program", PROGRAM, "--as-of", AS_OF, "--json")
    assert done.code == 0, done
    revised = json.loads(done.stdout)
    assert revised["notices_due"] == len(drafts)
    assert f"grantreview review --program {PROGRAM} --all" in revised["notices_sent_by"]
    assert _revision_notices(signed_event_log, decided) == {}  # reevaluate sends none

    review = ("review", "--program", PROGRAM, "--all", "--as-of", "2017-09-04", "--json")
    assert cli(*review).code == 0
    sent = _revision_notices(signed_event_log, decided)
    assert sorted(sent) == sorted(drafts)
    for slug, notice in sent.items():
        key = document_key(s3_prefix, notice.notice_sha256)
        stored = operator_client.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].read()
        assert stored == drafts[slug].encode("utf-8"), slug
        assert notice.notice_date.isoformat() == AS_OF

    before = count_objects(operator_client, s3_prefix)
    again = cli(*review)
    assert again.code == 0, again
    assert all(row["appended"] == 0 for row in json.loads(again.stdout))
    assert count_objects(operator_client, s3_prefix) == before
    assert _revision_notices(signed_event_log, decided) == sent

    verified = cli("audit", "verify", "--program", PROGRAM)
    assert verified.code == 0, verified
    replayed = cli("audit", "replay", "--json", "--program", PROGRAM)
    findings = json.loads(replayed.stdout)["findings"]
    assert [f for f in findings if (f["seq"] or 0) > 0] == []


def _revision_notices(log: EventLog, places: list[Jurisdiction]) -> dict[str, NoticeSent]:
    """Each jurisdiction's revision notice as the log records it (one at most)."""
    found: dict[str, NoticeSent] = {}
    for place in places:
        stream = StreamId(program=PROGRAM, jurisdiction=place.slug)
        notices = [
            event
            for commit in log.read_stream(stream)
            for _, event in decoded_events(commit)
            if isinstance(event, NoticeSent) and event.kind == "revision"
        ]
        assert len(notices) <= 1, place.slug
        if notices:
            found[place.slug] = notices[0]
    return found
