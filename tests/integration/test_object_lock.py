"""Write-once storage: SeaweedFS enforces Object Lock retention on committed versions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.streams import StreamId, commit_key
from tests.conftest import TEST_BUCKET

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from infra.eventlog.log import EventLog

STREAM = StreamId(program="psp-2017", jurisdiction="albuquerque-nm")
DAY = datetime(2017, 8, 3, tzinfo=UTC)


def test_a_retained_commit_version_cannot_be_deleted(
    s3_event_log: EventLog, s3_prefix: str, admin_client: S3Client
) -> None:
    """Deleting a commit's version is refused even for the admin; a delete marker hides nothing."""
    payload = LetterSent(letter_sha256="a" * 64, letter_date=DAY.date(), response_due=None,
                         delivery="none")  # fmt: skip
    commit = seal_commit(stream=STREAM, seq=0, prev=GENESIS, idempotency_key="letter",
                         payloads=[payload], time=DAY, actor="test")  # fmt: skip
    assert s3_event_log.append(commit)
    key = commit_key(s3_prefix, STREAM, 0)

    head = admin_client.head_object(Bucket=TEST_BUCKET, Key=key)
    version = head["VersionId"]
    assert head.get("ObjectLockMode") == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC)

    with pytest.raises(ClientError) as refused:
        admin_client.delete_object(Bucket=TEST_BUCKET, Key=key, VersionId=version)
    assert refused.value.response["Error"]["Code"] in {"AccessDenied", "InvalidRequest"}

    admin_client.delete_object(Bucket=TEST_BUCKET, Key=key)  # only a delete marker
    assert s3_event_log.read_stream(STREAM) == []
    kept = admin_client.get_object(Bucket=TEST_BUCKET, Key=key, VersionId=version)
    assert kept["Body"].read() == commit.to_bytes()
