"""The state index keeps every field of a folded state except the evaluation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from schemas.events.catalog import LetterQueued
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.state import StreamState, fold
from schemas.log.state_snapshot import IndexedStream
from schemas.log.streams import StreamId

STREAM = StreamId(program="psp-2017", jurisdiction="stockton-ca")


def test_index_covers_every_state_field() -> None:
    """A field added to StreamState must be kept by the index too, or this fails."""
    state_fields = {f.name for f in dataclasses.fields(StreamState)} - {"stream", "evaluation"}
    assert state_fields <= set(IndexedStream.model_fields)


def test_queued_letter_survives_the_index() -> None:
    """An outbox entry read back through the index is the one that was folded."""
    queued = LetterQueued(
        letter_sha256="a" * 64,
        html_sha256="b" * 64,
        letter_date=date(2017, 8, 3),
        response_due=date(2017, 8, 18),
        recipient="stockton-ca@example.gov",
        delivery_id="<letter.x@example.gov>",
    )
    commit = seal_commit(
        stream=STREAM,
        seq=0,
        prev=GENESIS,
        idempotency_key="letter-queued",
        payloads=[queued],
        time=datetime(2017, 8, 3, tzinfo=UTC),
        actor="test",
    )
    state = fold(STREAM, [commit])
    back = IndexedStream.of(state).state("psp-2017")
    assert back.letter_queued == queued
    assert back == dataclasses.replace(state, evaluation=None)
