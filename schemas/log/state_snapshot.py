"""The state index's snapshot: every stream's head and compact state, as stored (pure).

`infra/index/state_index.py` reads and writes it; this module is its format. An entry keeps
every `StreamState` field but the evaluation (`tests/unit/test_state_index_fields.py`
fails when a new state field is not kept).
"""

from __future__ import annotations

import zlib
from dataclasses import fields
from datetime import date
from typing import TYPE_CHECKING, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.base.errors import DamagedDataError
from schemas.events.catalog import (
    DecisionDetermined,
    DecisionIssued,
    DecisionOverridden,
    InformationRequested,
    LetterQueued,
    LetterSent,
    NoticeQueued,
    ReminderQueued,
    ReminderSent,
    ResponseAmended,
    ResponseReceived,
)
from schemas.log.revision import Revision
from schemas.log.state import StreamState
from schemas.log.streams import ACTS, RUNS, StreamId
from schemas.program.review_path import Stage
from schemas.rules.evaluation import Outcome

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "INDEX_FORMAT",
    "MAX_SNAPSHOT_JSON_BYTES",
    "IndexedStream",
    "SnapshotFormatError",
    "StateSnapshot",
]

INDEX_FORMAT: Final = "grantreview.state-index/1"
MAX_SNAPSHOT_JSON_BYTES: Final = 1024 * 1024 * 1024
"""A stored snapshot inflates to at most this (about 4.4 KB a stream: 200,000 streams)."""
_GZIP_MAGIC: Final = b"\x1f\x8b"


class SnapshotFormatError(DamagedDataError):
    """Stored bytes that are no snapshot: bad gzip, or inflating past the cap."""


_COPIED: Final = tuple(
    field.name
    for field in fields(StreamState)
    if field.name not in {"stream", "evaluation", "response", "idempotency_keys"}
)
"""State fields an entry keeps as they are; the other four are converted or left out."""


class IndexedStream(BaseModel):
    """A stream's state as the index keeps it: everything in `StreamState` but the evaluation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    jurisdiction: str
    head_seq: int
    head_hash: str
    last_event_time: AwareDatetime | None = None
    letter_queued: LetterQueued | None = None
    letter: LetterSent | None = None
    letter_time: AwareDatetime | None = None
    reminder_queued: ReminderQueued | None = None
    reminder: ReminderSent | None = None
    response: ResponseReceived | None = None
    supersedes_sha256: str | None = None
    response_shas: tuple[str, ...] = ()
    decision: Outcome | None = None
    reasons: tuple[str, ...] = ()
    decision_id: str | None = None
    decided_response_sha: str | None = None
    decided: bool = False
    override: DecisionOverridden | None = None
    idempotency_keys: tuple[str, ...] = ()
    stage: Stage | None = None
    final: bool = False
    letter_due: date | None = None
    answer_due: date | None = None
    information: InformationRequested | None = None
    information_due: date | None = None
    responded_due: date | None = None
    last_decision: DecisionIssued | None = None
    late: bool = False
    answered: bool = False
    determination: DecisionDetermined | None = None
    award_action: str | None = None
    notice_wanted: tuple[str, str] | None = None
    notice_queued: NoticeQueued | None = None
    notices_sent: frozenset[str] = frozenset()
    uncertain_facts: tuple[str, ...] = ()
    """Added with issue #26: snapshots written before it read as resting on none."""
    decided_for: AwareDatetime | None
    decision_recorded: AwareDatetime | None
    """Added with issue #24, required: a snapshot written before them does not parse, so the
    next read rebuilds the index from the streams rather than show a decision undated."""
    final_seq: int | None = None
    final_time: AwareDatetime | None = None
    final_approvers: tuple[str, ...] = ()
    """Added with issue #23: a snapshot from before reads as a final without them (the final
    notice then keeps its first template, as replay re-derives it from the recorded event)."""
    revision: Revision | None = None
    """Added with issue #26: the revision a notice is to tell (None in older snapshots: they
    were written before a revision wanted a notice)."""

    @classmethod
    def of(cls, state: StreamState) -> IndexedStream:
        """The compact form of a folded state."""
        response = state.response
        supersedes = response.supersedes_sha256 if isinstance(response, ResponseAmended) else None
        if isinstance(response, ResponseAmended):
            fields = dict(response)
            fields.pop("supersedes_sha256")
            response = ResponseReceived.model_construct(**fields)
        return cls.model_construct(
            jurisdiction=state.stream.jurisdiction,
            response=response,
            supersedes_sha256=supersedes,
            idempotency_keys=tuple(sorted(state.idempotency_keys)),
            **{name: getattr(state, name) for name in _COPIED},
        )

    def state(self, program: str) -> StreamState:
        """The `StreamState` this entry stands for (with `evaluation` left unset)."""
        response: ResponseReceived | None = self.response
        if response is not None and self.supersedes_sha256 is not None:
            response = ResponseAmended.model_construct(
                **dict(response), supersedes_sha256=self.supersedes_sha256
            )
        return StreamState(
            stream=StreamId(program=program, jurisdiction=self.jurisdiction),
            response=response,
            idempotency_keys=frozenset(self.idempotency_keys),
            **{name: getattr(self, name) for name in _COPIED},
        )


class StateSnapshot(BaseModel):
    """Every review stream of one program at the heads it names, sorted by jurisdiction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["grantreview.state-index/1"] = INDEX_FORMAT
    program: str
    streams: tuple[IndexedStream, ...]
    checkpoint_seq: int | None = None
    """A checkpoint whose every head of the program the snapshot includes (or later heads).

    -1: the snapshot came from a listing made before the first checkpoint; None: unknown
    (a snapshot written before this field existed), so the next read lists every key.
    """
    tlog_batch_seq: int | None = None
    """The newest transparency-log batch whose commits of the program the snapshot includes.

    None: written before the cut-over or before this field existed, so the next read after
    the cut-over lists every key. Left out of the stored bytes when None, so a snapshot
    without it keeps its address (`to_bytes`).
    """

    @classmethod
    def of(
        cls,
        program: str,
        states: Iterable[StreamState],
        *,
        checkpoint_seq: int | None = None,
        tlog_batch_seq: int | None = None,
    ) -> StateSnapshot:
        """The snapshot of these states (the runs stream is never indexed)."""
        entries = sorted(
            (IndexedStream.of(s) for s in states if s.stream.jurisdiction not in {RUNS, ACTS}),
            key=lambda entry: entry.jurisdiction,
        )
        return cls.model_construct(
            format=INDEX_FORMAT,
            program=program,
            streams=tuple(entries),
            checkpoint_seq=checkpoint_seq,
            tlog_batch_seq=tlog_batch_seq,
        )

    def to_stored(self) -> bytes:
        """The bytes stored: `to_bytes` gzipped (level 1, no timestamp).

        The JSON of 20,000 streams is about 88 MB, past what a document read takes (64 MB),
        and repeats its field names 20,000 times: gzip makes it about 18x smaller for 0.4 s
        (measured on the benchmark's snapshot). The same states give the same bytes.

        Compressed entry by entry (`json_parts`): the whole JSON is never held at once,
        which was the peak of a 20,000-stream reevaluation's memory.
        """
        compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
        stored = [compressor.compress(part) for part in self.json_parts()]
        stored.append(compressor.flush())
        return b"".join(stored)

    def json_parts(self, entries_per_part: int = 500) -> Iterator[bytes]:
        """`to_bytes` in pieces, `entries_per_part` stream entries each; joined, equal to it."""
        envelope = self.model_copy(update={"streams": ()}).to_bytes()
        before, marker, after = envelope.partition(b'"streams":[]')
        if not marker:  # pragma: no cover - the envelope always holds the empty list
            raise ValueError("snapshot envelope without its streams")
        serializer = IndexedStream.__pydantic_serializer__
        yield before + b'"streams":['
        for start in range(0, len(self.streams), entries_per_part):
            part = self.streams[start : start + entries_per_part]
            joined = b",".join(serializer.to_json(entry) for entry in part)
            yield (b"," if start else b"") + joined
        yield b"]" + after

    @classmethod
    def from_stored(cls, raw: bytes) -> StateSnapshot:
        """The snapshot stored as `raw`: gzipped (`to_stored`) or plain JSON (older ones).

        Raises `SnapshotFormatError` or pydantic's `ValidationError` when it is none.
        """
        if raw.startswith(_GZIP_MAGIC):
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            try:
                raw = inflater.decompress(raw, MAX_SNAPSHOT_JSON_BYTES)
            except zlib.error as error:
                raise SnapshotFormatError(f"snapshot is damaged gzip: {error}") from None
            if inflater.unconsumed_tail or not inflater.eof:
                raise SnapshotFormatError("snapshot is truncated or inflates past the cap")
        return cls.model_validate_json(raw)

    def to_bytes(self) -> bytes:
        """Deterministic JSON (field order is fixed), so equal snapshots share one address.

        `tlog_batch_seq` is written only when set: a snapshot of the same states written
        before the field existed has the same bytes, hence the same address.
        """
        unset = {"tlog_batch_seq"} if self.tlog_batch_seq is None else None
        # `model_dump_json` is this decoded: the bytes directly spare a copy of ~88 MB.
        return type(self).__pydantic_serializer__.to_json(self, exclude=unset)
