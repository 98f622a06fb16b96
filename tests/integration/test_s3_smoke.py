"""A first check that the harness talks to a real S3 server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infra.eventlog.log import ConflictError, EventLog
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.streams import StreamId

STREAM = StreamId(program="psp-2017", jurisdiction="stockton-ca")


def _letter() -> LetterSent:
    return LetterSent(
        letter_sha256="a" * 64,
        letter_date=datetime(2017, 8, 3, tzinfo=UTC).date(),
        response_due=datetime(2017, 8, 18, tzinfo=UTC).date(),
        delivery="none",
    )


def test_append_then_read_back(s3_event_log: EventLog) -> None:
    """A commit written to SeaweedFS reads back identical, and a rival at the same seq conflicts."""
    commit = seal_commit(
        stream=STREAM,
        seq=0,
        prev=GENESIS,
        idempotency_key="letter",
        payloads=[_letter()],
        time=datetime(2017, 8, 3, tzinfo=UTC),
        actor="test",
    )
    assert s3_event_log.append(commit) is True
    assert s3_event_log.append(commit) is False
    assert s3_event_log.read_stream(STREAM) == [commit]
    rival = seal_commit(
        stream=STREAM,
        seq=0,
        prev=GENESIS,
        idempotency_key="other",
        payloads=[_letter()],
        time=datetime(2017, 8, 3, tzinfo=UTC),
        actor="test",
    )
    with pytest.raises(ConflictError) as conflict:
        s3_event_log.append(rival)
    assert conflict.value.seq == 0
