"""`grantreview demo` on a bucket holding other jurisdictions touches only its own four."""

from __future__ import annotations

import json
from pathlib import Path

from mypy_boto3_s3 import S3Client

from tests.conftest import TEST_BUCKET, Cli
from tests.support.builders import csv_bytes, synthetic_jurisdictions

SEEDS = {"albuquerque-nm", "baltimore-md", "san-bernardino-ca", "stockton-ca"}


def _reviewed(client: S3Client, prefix: str) -> set[str]:
    """Jurisdictions with a psp-2017 stream under `prefix`."""
    listed = client.list_objects_v2(
        Bucket=TEST_BUCKET, Prefix=f"{prefix}streams/psp-2017/", Delimiter="/"
    )
    return {
        entry["Prefix"].rstrip("/").rsplit("/", 1)[-1]
        for entry in listed.get("CommonPrefixes", [])
        if not entry["Prefix"].rstrip("/").endswith("_runs")
    }


def test_demo_reviews_only_its_four(
    cli: Cli, operator_client: S3Client, s3_prefix: str, tmp_path: Path
) -> None:
    """Five others imported first: the demo says so, reviews the four, leaves the five alone."""
    path = tmp_path / "others.csv"
    path.write_bytes(csv_bytes(synthetic_jurisdictions(5)))
    assert cli("jurisdictions", "import", path).code == 0
    receipt = tmp_path / "decision.tlog-proof"
    result = cli("demo", "--receipt", receipt)
    assert result.code == 0, result
    assert "5 other imported jurisdiction(s) left alone" in result.stdout
    assert receipt.read_text().startswith("c2sp.org/tlog-proof@v1\nextra ")  # C2SP's format
    assert f"written to {receipt}" in result.stdout
    assert "tlog-proof@v1\nextra" not in result.stdout  # a summary, not 3 KB of base64
    assert "receipt verified offline with the public key" in result.stdout
    assert _reviewed(operator_client, s3_prefix) == SEEDS
    assert _leaves(operator_client, s3_prefix) == _keys(operator_client, f"{s3_prefix}streams/")
    # The four 2017 cities, entered today with their 2017 dates, replay clean (issue #22).
    replayed = cli("audit", "replay")
    assert replayed.code == 0, replayed


def _keys(client: S3Client, prefix: str) -> set[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=TEST_BUCKET, Prefix=prefix)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def _leaves(client: S3Client, prefix: str) -> set[str]:
    """Every commit the signed batches list (each batch here has its note)."""
    leaves: set[str] = set()
    for key in _keys(client, f"{prefix}tlog/batches/"):
        note = key.replace("tlog/batches/", "tlog/checkpoints/").removesuffix(".json")
        assert _keys(client, note) == {note}
        batch = json.loads(client.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].read())
        leaves.update(batch["commits"])
    return leaves
