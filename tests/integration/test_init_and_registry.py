"""`init` makes or accepts the bucket; the registry imports idempotently and lists as JSON."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from localdev.seaweed import SeaweedServer
from tests.conftest import Cli

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"


def test_init_accepts_an_existing_bucket_without_create_rights(cli: Cli) -> None:
    """The operator identity may not create buckets, yet init accepts the existing one."""
    first = cli("init", "--json")
    assert first.code == 0, first
    report = json.loads(first.stdout)
    assert report["created"] is False
    assert report["conditional_writes"] is True
    assert cli("init", "--json").code == 0


def test_init_creates_a_locked_versioned_bucket(
    cli: Cli, seaweed: SeaweedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With admin rights init creates the bucket with versioning and Object Lock retention."""
    bucket = f"gr-{uuid.uuid4().hex[:10]}"
    cli.env = {**cli.env, **seaweed.env("admin"), "GRANTREVIEW_S3_BUCKET": bucket}
    result = cli("init", "--json")
    assert result.code == 0, result
    report = json.loads(result.stdout)
    assert report["created"] is True
    assert report["versioning"] is True
    assert report["object_lock"] is True
    assert report["default_retention"] == "GOVERNANCE 1 days"


def test_init_without_rights_to_create_exits_3(cli: Cli) -> None:
    """A missing bucket the credentials may not create is a refusing dependency: exit 3."""
    cli.env = {**cli.env, "GRANTREVIEW_S3_BUCKET": f"gr-{uuid.uuid4().hex[:10]}"}
    result = cli("init")
    assert result.code == 3
    assert "S3 refused" in result.stderr


def test_import_is_idempotent_and_lists_as_json(cli: Cli) -> None:
    """Importing the same rows twice records them once; list --json gives the four fields."""
    first = cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv")
    assert "4 rows read, 4 new or changed recorded" in first.stdout
    second = cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv")
    assert "4 rows read, 0 new or changed recorded" in second.stdout
    listed = json.loads(cli("jurisdictions", "list", "--json").stdout)
    assert [row["slug"] for row in listed][:2] == ["albuquerque-nm", "baltimore-md"]
    assert listed[1] == {
        "slug": "baltimore-md",
        "name": "Baltimore, MD",
        "state": "MD",
        "geoid": "2404000",
    }


def test_s3_down_exits_3(cli: Cli) -> None:
    """An unreachable S3 endpoint is reported in one line with exit 3."""
    cli.env = {**cli.env, "GRANTREVIEW_S3_ENDPOINT_URL": "http://127.0.0.1:9"}
    result = cli("jurisdictions", "list")
    assert result.code == 3
    assert "S3 unreachable" in result.stderr
    assert "Traceback" not in result.stderr
