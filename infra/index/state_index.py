"""A per-program state index: every stream's head and compact state, read without replaying.

Layout (write-once, like everything in the bucket):
- the snapshot, content-addressed under documents/sha256/ (JSON of `StateSnapshot`);
- a pointer sequence `{prefix}index/{program}/{seq:020d}.json` naming the newest snapshot.

Reading takes the newest snapshot and brings it up to date, reading only streams whose
head moved past the indexed head, from the indexed head on. Which heads moved it learns
one of three ways:

- after the transparency log's cut-over, the batch path (`infra/index/_batches.py`): the
  snapshot names the newest tlog batch it includes; one LIST of the batch keys from that
  batch on, one GET per newer batch (concurrently), and the streams of the program those
  batches name are read up to the newest integrated seq. More than
  `MAX_CATCHUP_BATCHES` (256) newer batches, a gap, or a batch that does not parse: the
  full listing instead;
- before the cut-over, the checkpoint path: from the newest cumulative checkpoint's heads
  (a LIST of `checkpoints/` after the snapshot's own checkpoint, one GET), when the
  snapshot names the checkpoint it covers;
- the full listing: one listing of the program's commit keys (split by the slug's first
  character and listed concurrently), when the snapshot names neither (written before
  either existed, or before the cut-over and read after it) or a fast path cannot be
  trusted. It records the newest batch (or checkpoint) seen *before* listing, so the next
  read takes a fast path: a commit that batch names was stored before the listing began,
  and one integrated later is named by a later batch.

Staleness of the fast paths: a commit is seen once it is integrated (after the cut-over)
or once a checkpoint states its head (before). Every flow run that appends integrates the
streams it touched as it ends (`sign_heads`) and the hourly sweep (`checkpoint`
deployment) integrates every commit not yet in the tree, so a commit whose run died before
integrating, or that was written with no signing key configured, is seen within the hour
after it; a commit appended but not integrated is not seen until then (the run that wrote
it holds it in its own states). Neither a batch nor a checkpoint is verified here (the
writer trusts its own store): a stream is only read from its indexed head and a head only
taken from commits that chain from it (else the stream is read whole), keys of other
programs or prefixes and malformed keys are skipped, and a named stream that holds no
commit is left out, so a wrong or planted batch or checkpoint can cost extra reads or
hide a move until the next sweep, never invent state.
The index is a cache, never an authority: appends stay conditional on seq, so a stale
index can cost a 412 and a re-read but never fork a stream, and `index_problems`
cross-checks it against the streams for `audit verify`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Final

from pydantic import ValidationError

from infra.eventlog.documents import DocumentStore
from infra.eventlog.listing import newest_key
from infra.eventlog.log import CorruptStreamError, EventLog
from infra.eventlog.tlog_store import TlogStore
from infra.index._batches import batches_since, from_batches
from infra.index._catchup import (
    LoadedStates,
    from_checkpoint,
    from_listing,
    newest_checkpoint_key,
    read_checkpoint,
)
from infra.platform.logging import get_logger
from schemas.log.state import StreamState, fold
from schemas.log.state_snapshot import IndexedStream, SnapshotFormatError, StateSnapshot
from schemas.log.streams import StreamId

__all__ = [
    "LoadedStates",
    "index_problems",
    "latest_snapshot",
    "load_states",
    "snapshot_states",
    "with_heads",
    "write_snapshot",
]

POINTER_FORMAT: Final = "grantreview.state-index-pointer/1"
_ATTEMPTS: Final = 8
_log = get_logger(__name__)


def _pointer_key(prefix: str, program: str, seq: int) -> str:
    return f"{prefix}index/{program}/{seq:020d}.json"


def _latest_pointer(log: EventLog, program: str) -> tuple[int, str] | None:
    """The newest pointer's (seq, snapshot sha256), or None before the first run."""
    newest = newest_key(log.store, f"{log.prefix}index/{program}/")
    if newest is None:
        return None
    raw = log.store.get(newest)
    try:
        document = json.loads(raw or b"")
        return int(document["seq"]), str(document["snapshot_sha256"])
    except (ValueError, KeyError, TypeError):
        return None  # an unreadable pointer: fall back to reading every stream


def latest_snapshot(log: EventLog, program: str) -> tuple[str, StateSnapshot] | None:
    """The newest snapshot and its address, or None (none yet, or unreadable: rebuild)."""
    pointer = _latest_pointer(log, program)
    if pointer is None:
        return None
    raw = DocumentStore(log.store, log.prefix).get(pointer[1])
    if raw is None:
        _log.warning(
            "state_index_unreadable",
            program=program,
            snapshot=pointer[1][:12],
            why="missing, or its bytes do not match its address",
        )
        return None
    try:
        snapshot = StateSnapshot.from_stored(raw)
    except (ValidationError, SnapshotFormatError) as error:
        _log.warning(
            "state_index_unreadable",
            program=program,
            snapshot=pointer[1][:12],
            why=str(error).splitlines()[0],
        )
        return None
    return (pointer[1], snapshot) if snapshot.program == program else None


def write_snapshot(
    log: EventLog,
    program: str,
    states: Iterable[StreamState],
    *,
    checkpoint_seq: int | None = None,
    tlog_batch_seq: int | None = None,
) -> str:
    """Store the snapshot (once per content) and point to it unless the newest pointer does.

    `checkpoint_seq` must name a checkpoint whose heads of the program `states` include
    (`LoadedStates.checkpoint_seq`), `tlog_batch_seq` a tlog batch whose commits of the
    program they include (`LoadedStates.tlog_batch_seq`); None makes the next read list
    every key again.
    """
    body = StateSnapshot.of(
        program, states, checkpoint_seq=checkpoint_seq, tlog_batch_seq=tlog_batch_seq
    ).to_stored()
    digest = DocumentStore(log.store, log.prefix).put(body)
    for _ in range(_ATTEMPTS):
        pointer = _latest_pointer(log, program)
        if pointer is not None and pointer[1] == digest:
            return digest
        seq = 0 if pointer is None else pointer[0] + 1
        document = {
            "format": POINTER_FORMAT,
            "program": program,
            "seq": seq,
            "snapshot_sha256": digest,
        }
        key = _pointer_key(log.prefix, program, seq)
        if log.store.put_if_absent(key, json.dumps(document, sort_keys=True).encode()):
            return digest
    return digest  # other runs kept winning; theirs are as valid a starting point as ours


def load_states(log: EventLog, program: str, *, workers: int = 16) -> LoadedStates:
    """Current states of every review stream of `program`, via the index where it is fresh.

    A fast path (the tlog batches after the snapshot's, or before the cut-over the newest
    checkpoint's heads) when the snapshot names what it covers; otherwise one listing of
    the program's keys (see the module docstring).
    """
    latest = latest_snapshot(log, program)
    recorded = None if latest is None else latest[1].tlog_batch_seq
    if latest is not None and recorded is not None:
        batches = batches_since(log, recorded)
        if batches is not None:
            return from_batches(log, program, latest[0], latest[1], batches)
    newest_batch = TlogStore(log.store, log.prefix).newest_seq()
    if newest_batch is not None:
        # Cut over to the transparency log: the cumulative heads are frozen, so they no
        # longer bound staleness. The batch is found before listing: every commit it or
        # an earlier one names is in the listing, and later ones are the next read's.
        return from_listing(log, program, latest, -1, workers, tlog_batch_seq=newest_batch)
    reference = None if latest is None else latest[1].checkpoint_seq
    newest = newest_checkpoint_key(log, reference)
    if latest is not None and reference is not None and newest is not None:
        checkpoint = read_checkpoint(log, newest[1])
        if checkpoint is not None and checkpoint.seq >= reference:
            return from_checkpoint(log, program, latest[0], latest[1], checkpoint)
    # The checkpoint was found before listing: every head it states is in the listing.
    return from_listing(log, program, latest, -1 if newest is None else newest[0], workers)


def snapshot_states(
    log: EventLog, program: str, digest: str, first: str, last: str
) -> dict[str, StreamState]:
    """The states of snapshot `digest` from jurisdiction `first` to `last` (inclusive).

    How a distributed run hands each range run exactly the states its parent read.
    """
    raw = DocumentStore(log.store, log.prefix).get(digest)
    if raw is None:
        raise LookupError(f"state snapshot {digest[:12]} is missing or damaged")
    try:
        snapshot = StateSnapshot.from_stored(raw)
    except (ValidationError, SnapshotFormatError):
        raise LookupError(f"state snapshot {digest[:12]} is not a snapshot") from None
    if snapshot.program != program:
        raise LookupError(f"state snapshot {digest[:12]} is of {snapshot.program}, not {program}")
    return {
        entry.jurisdiction: entry.state(program)
        for entry in snapshot.streams
        if first <= entry.jurisdiction <= last
    }


def index_problems(log: EventLog, program: str) -> list[str]:
    """Cross-check the newest snapshot against the streams (for `audit verify`).

    Every indexed head must be a commit of its stream with that hash, and the indexed
    state must equal the fold of the stream up to that head. An empty list means the
    index says nothing the log does not.
    """
    latest = latest_snapshot(log, program)
    if latest is None:
        return []
    digest, snapshot = latest
    problems: list[str] = []
    for entry in snapshot.streams:
        stream = StreamId(program=program, jurisdiction=entry.jurisdiction)
        try:
            commits = [c for c in log.read_stream(stream) if c.seq <= entry.head_seq]
        except CorruptStreamError as error:
            problems.append(f"index {digest[:12]}: {stream.name}: {error}")
            continue
        if not commits or commits[-1].seq != entry.head_seq:
            problems.append(
                f"index {digest[:12]}: {stream.name} head {entry.head_seq} is not in the stream"
            )
            continue
        folded = fold(stream, commits)
        if IndexedStream.of(folded) != entry:
            problems.append(
                f"index {digest[:12]}: {stream.name} at seq {entry.head_seq} does not match "
                "the fold of its commits"
            )
    return problems


def with_heads(
    states: dict[str, StreamState], updated: Iterable[StreamState]
) -> dict[str, StreamState]:
    """`states` with the given newer states substituted (after a run's appends)."""
    merged = dict(states)
    for state in updated:
        known = merged.get(state.stream.jurisdiction)
        if known is None or state.head_seq >= known.head_seq:
            merged[state.stream.jurisdiction] = replace(state, evaluation=None)
    return merged
