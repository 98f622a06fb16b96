"""Is this commit sound? One answer, from the bytes as stored, for every reader of the log.

The writer (before it builds on a stream), the checkpoint sweep, the integrator and the
audit all ask it here, so they can never disagree on one commit. Sound means: it parses
within the size limit, its bytes are exactly the canonical form of the commit they hold
(no member added, nothing re-spelled), its content hashes to its `hash`, every event
repeats that hash and carries the attributes its place implies, and it is stored in its
own stream. Who signed it is a separate question (`schemas/log/commit_signature.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from schemas.base.canonical import CanonicalFormError, canonical_json
from schemas.base.findings import FindingKind
from schemas.log.commit import SOURCE, CommitFormatError, commit_hash, event_id, parse_commit

if TYPE_CHECKING:
    from schemas.log.commit import Commit
    from schemas.log.streams import StreamId

__all__ = ["CommitProblem", "commit_problem", "sound_commit"]


class CommitProblem(NamedTuple):
    """What is wrong with one stored commit: the `audit verify` finding kind and a detail."""

    kind: FindingKind
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.detail}"


def _event_problem(stream: StreamId, commit: Commit) -> str | None:
    """The first event attribute that its commit's place in `stream` does not imply."""
    for index, event in enumerate(commit.events):
        expected = {
            "specversion": "1.0",
            "id": event_id(stream, commit.idempotency_key, index),
            "source": f"{SOURCE}:{stream.program}",
            "subject": stream.jurisdiction,
            "grseq": commit.seq,
            "grindex": index,
            "grprev": commit.prev,
        }
        for name, value in expected.items():
            if event.get(name) != value:
                return f"event {index}: {name} is {event.get(name)!r}, expected {value!r}"
    return None


def _judge(raw: bytes, stream: StreamId, seq: int | None) -> Commit | CommitProblem:
    commit = parse_commit(raw)
    if commit.stream != stream.name:
        return CommitProblem(
            FindingKind.MOVED, f"holds commit {commit.seq} of stream {commit.stream}"
        )
    if seq is not None and commit.seq != seq:
        return CommitProblem(FindingKind.MOVED, f"holds commit seq {commit.seq}, stored at {seq}")
    document = commit.document
    if canonical_json(document) != raw:
        return CommitProblem(FindingKind.MODIFIED, "bytes are not the canonical form of the commit")
    if commit_hash(document, checked=True) != commit.hash:  # its parts were just serialized
        return CommitProblem(FindingKind.MODIFIED, "content does not match the commit's hash")
    if any(event.get("grhash") != commit.hash for event in commit.events):
        return CommitProblem(
            FindingKind.MODIFIED, "an event's grhash differs from the commit's hash"
        )
    event = _event_problem(stream, commit)
    return commit if event is None else CommitProblem(FindingKind.BAD_FORMAT, event)


def sound_commit(raw: bytes, stream: StreamId, seq: int | None = None) -> Commit | CommitProblem:
    """The commit `raw` holds if it is sound in `stream` (at `seq`, when given), else why not.

    The only hash input is the commit as stored: its bytes must be the canonical form of
    the parsed commit, so hashing the parsed document and hashing the stored one agree.
    Bytes nested too deeply to parse or hash, or holding a value with no canonical form (a
    float planted in a stored commit), are a problem, never an exception: they are the
    log's damage, not the caller's input.
    """
    try:
        return _judge(raw, stream, seq)
    except (CommitFormatError, CanonicalFormError) as error:
        return CommitProblem(FindingKind.BAD_FORMAT, str(error))
    except RecursionError:  # parsed, yet too deep to hash: no writer of ours nests so deep
        return CommitProblem(FindingKind.BAD_FORMAT, "nested too deeply to check")


def commit_problem(raw: bytes, stream: StreamId, seq: int | None = None) -> CommitProblem | None:
    """Why the commit stored as `raw` is not sound; None when it is (see `sound_commit`)."""
    judged = sound_commit(raw, stream, seq)
    return judged if isinstance(judged, CommitProblem) else None
