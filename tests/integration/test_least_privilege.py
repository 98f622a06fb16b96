"""Least privilege, enforced by the store: auditor read-only, no anonymous access, no deletes.

SeaweedFS runs with identities from `-s3.config` (localdev/seaweed.py): the operator may read,
list and write; the auditor may only read and list. The bucket is versioned with Object
Lock default retention, as `grantreview init` creates it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from mypy_boto3_s3 import S3Client
from mypy_boto3_s3.type_defs import ObjectLockRetentionTypeDef

from infra.s3.bucket import ensure_bucket
from localdev.seaweed import SeaweedServer
from schemas.log.streams import StreamId, commit_key
from tests.conftest import TEST_BUCKET, Cli, client_for, run_cli_process
from tests.support.figures import record_figures

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"
PROGRAM = "psp-2017"
STOCKTON = StreamId(program=PROGRAM, jurisdiction="stockton-ca")


def _versions(client: S3Client, bucket: str, prefix: str) -> list[tuple[str, str]]:
    """Every object version and delete marker under `prefix`: the strictest "nothing written"."""
    found: list[tuple[str, str]] = []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        found.extend((item["Key"], item["VersionId"]) for item in page.get("Versions", []))
        found.extend((item["Key"], item["VersionId"]) for item in page.get("DeleteMarkers", []))
    return sorted(found)


def _refused(call: Callable[[], Any]) -> str:
    """The S3 error code of a call the store must refuse."""
    with pytest.raises(ClientError) as refused:
        call()
    return str(refused.value.response["Error"]["Code"])


def _build_log(cli: Cli) -> None:
    """Four jurisdictions, their letters, and Stockton's response and decision (as the operator)."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    assert cli("review", "--program", PROGRAM, "--all", "--as-of", "2017-08-03").code == 0
    responded = cli(
        "respond",
        "stockton-ca",
        "--program",
        PROGRAM,
        "--file",
        EXAMPLES / "stockton-ca.json",
        "--as-of",
        "2017-08-18",
    )
    assert responded.code == 0, responded


def test_auditor_verifies_and_replays_but_every_write_exits_3_writing_nothing(
    cli: Cli, seaweed: SeaweedServer, admin_client: S3Client, s3_prefix: str, tmp_path: Path
) -> None:
    """The auditor identity verifies and replays; each write command exits 3, nothing written."""
    _build_log(cli)
    before = _versions(admin_client, TEST_BUCKET, s3_prefix)
    cli.env = {**cli.env, **seaweed.env("auditor")}
    cli.env.pop("GRANTREVIEW_SIGNING_KEY_FILE")  # an auditor holds the public keyring only
    cli.monkeypatch.delenv("GRANTREVIEW_SIGNING_KEY_FILE")
    verified = cli("audit", "verify", "--json")
    assert verified.code == 0, verified
    assert json.loads(verified.stdout)["ok"] is True
    replayed = cli("audit", "replay", "--json")
    assert replayed.code == 0, replayed
    assert json.loads(replayed.stdout)["findings"] == []

    new_row = tmp_path / "new.csv"
    new_row.write_text('slug,name,state,geoid\nfresno-ca,"Fresno, CA",CA,0627000\n')
    amended = tmp_path / "baltimore-md.json"
    amended.write_bytes(
        (EXAMPLES / "baltimore-md.json").read_bytes().replace(b"Chief", b"Acting Chief")
    )
    writes: list[tuple[str | Path, ...]] = [
        ("init",),
        ("jurisdictions", "import", new_row),
        ("review", "--program", PROGRAM, "--all", "--as-of", "2017-08-03"),
        ("respond", "baltimore-md", "--program", PROGRAM, "--file", amended),
        (
            "override",
            "stockton-ca",
            "--program",
            PROGRAM,
            "--decision",
            "eligible",
            "--reason",
            "auditor tries",
            "--actor",
            "auditor",
        ),
    ]
    for args in writes:
        result = cli(*args)
        assert result.code == 3, (args, result)
        last = result.stderr.rstrip().splitlines()[-1]
        assert last.startswith("error: S3 refused"), (args, last)
        assert "AccessDenied" in last, (args, last)
        assert "may not" in last, (args, last)
    assert _versions(admin_client, TEST_BUCKET, s3_prefix) == before
    record_figures(
        "4a. auditor identity: 5 write commands",
        faults=5,
        runs=7,
        note="each exit 3, 0 objects written; verify and replay exit 0",
    )


def test_anonymous_requests_are_refused(
    seaweed: SeaweedServer, operator_client: S3Client, s3_prefix: str
) -> None:
    """Unsigned requests may not list, read, write or delete anything."""
    key = f"{s3_prefix}streams/{PROGRAM}/stockton-ca/{0:020d}.json"
    operator_client.put_object(Bucket=TEST_BUCKET, Key=key, Body=b"{}", IfNoneMatch="*")
    anonymous = boto3.client(
        "s3",
        endpoint_url=seaweed.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )
    attempts: list[Callable[[], Any]] = [
        anonymous.list_buckets,
        lambda: anonymous.list_objects_v2(Bucket=TEST_BUCKET, Prefix=s3_prefix),
        lambda: anonymous.get_object(Bucket=TEST_BUCKET, Key=key),
        lambda: anonymous.put_object(Bucket=TEST_BUCKET, Key=f"{s3_prefix}x", Body=b"x"),
        lambda: anonymous.delete_object(Bucket=TEST_BUCKET, Key=key),
    ]
    assert [_refused(attempt) for attempt in attempts] == ["AccessDenied"] * len(attempts)
    assert operator_client.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].read() == b"{}"
    record_figures("4b. anonymous requests", faults=len(attempts), runs=0, note="all 403")


def test_operator_cannot_delete_or_unlock_a_commit_and_hiding_one_is_detected(
    cli: Cli, seaweed: SeaweedServer, s3_prefix: str
) -> None:
    """Object Lock refuses the operator any version delete; a delete marker is flagged by verify."""
    _build_log(cli)
    operator = client_for(seaweed, "operator")
    key = commit_key(s3_prefix, STOCKTON, 0)
    head = operator.head_object(Bucket=TEST_BUCKET, Key=key)
    version, body = (
        head["VersionId"],
        operator.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].read(),
    )
    assert head.get("ObjectLockMode") == "GOVERNANCE"
    shorter: ObjectLockRetentionTypeDef = {
        "Mode": "GOVERNANCE",
        "RetainUntilDate": datetime.now(UTC) + timedelta(seconds=1),
    }
    refusals = [
        lambda: operator.delete_object(Bucket=TEST_BUCKET, Key=key, VersionId=version),
        lambda: operator.delete_object(
            Bucket=TEST_BUCKET, Key=key, VersionId=version, BypassGovernanceRetention=True
        ),
        lambda: operator.put_object_retention(
            Bucket=TEST_BUCKET,
            Key=key,
            VersionId=version,
            Retention=shorter,
            BypassGovernanceRetention=True,
        ),
        lambda: operator.put_object_lock_configuration(
            Bucket=TEST_BUCKET, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}
        ),
    ]
    assert [_refused(call) for call in refusals] == ["AccessDenied"] * len(refusals)
    batch = operator.delete_objects(
        Bucket=TEST_BUCKET, Delete={"Objects": [{"Key": key, "VersionId": version}]}
    )
    assert [error["Code"] for error in batch.get("Errors", [])] == ["AccessDenied"]
    assert "Deleted" not in batch or batch["Deleted"] == []

    operator.delete_object(Bucket=TEST_BUCKET, Key=key)  # allowed: a delete marker, not a delete
    hidden = cli("audit", "verify")
    assert hidden.code == 1, hidden
    assert "stockton-ca" in hidden.stdout
    kept = operator.get_object(Bucket=TEST_BUCKET, Key=key, VersionId=version)["Body"].read()
    assert kept == body
    record_figures(
        "4c. operator deletes under Object Lock",
        faults=len(refusals) + 2,
        runs=1,
        note="version deletes refused; a delete marker is flagged by verify (exit 1), "
        "the version kept",
    )


def test_a_bucket_policy_refuses_the_operator_even_a_delete_marker(seaweed: SeaweedServer) -> None:
    """With a Deny policy on deletes, the operator cannot even hide a commit behind a marker."""
    admin, operator = client_for(seaweed, "admin"), client_for(seaweed, "operator")
    bucket = f"grantreview-policy-{uuid.uuid4().hex[:8]}"
    ensure_bucket(admin, bucket, "", lock_mode="GOVERNANCE", lock_days=1)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CommitsAreNeverDeleted",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
                "Resource": [
                    f"arn:aws:s3:::{bucket}/{folder}/*" for folder in ("streams", "checkpoints")
                ],
            }
        ],
    }
    admin.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    key = commit_key("", STOCKTON, 0)
    operator.put_object(Bucket=bucket, Key=key, Body=b"{}", IfNoneMatch="*")
    assert _refused(lambda: operator.delete_object(Bucket=bucket, Key=key)) == "AccessDenied"
    assert _versions(admin, bucket, "streams/") == [
        (key, operator.head_object(Bucket=bucket, Key=key)["VersionId"])
    ]
    record_figures(
        "4d. operator delete under a Deny bucket policy",
        faults=1,
        runs=0,
        note="delete marker refused too",
    )


def test_refused_write_is_one_line_without_retries(
    cli: Cli, cli_env: dict[str, str], seaweed: SeaweedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused write inside a flow reaches the user as one line, exit 3, and is not retried."""
    _build_log(cli)
    env = {**cli_env, **seaweed.env("auditor")}
    env.pop("PREFECT_LOGGING_LEVEL")
    monkeypatch.delenv("PREFECT_LOGGING_LEVEL", raising=False)  # the CLI's own default applies
    started = time.monotonic()
    result = run_cli_process(
        env, "review", "--program", PROGRAM, "baltimore-md", "--as-of", "2017-08-20"
    )
    assert result.code == 3, result
    lines = result.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith("error:")] == lines[:1], result.stderr
    assert lines[0].startswith("error: S3 refused"), result.stderr
    assert "Traceback" not in result.stderr
    assert "| ERROR" not in result.stderr
    assert time.monotonic() - started < 60
