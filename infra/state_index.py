"""A per-program state index: every stream's head and compact state, read without replaying.

Layout (write-once, like everything in the bucket):
- the snapshot, content-addressed under documents/sha256/ (JSON of `StateSnapshot`);
- a pointer sequence `{prefix}index/{program}/{seq:020d}.json` naming the newest snapshot.

Reading takes the newest snapshot and brings it up to date, reading only streams whose
head moved past the indexed head, from the indexed head on. Which heads moved it learns
one of two ways:

- the fast path: from the newest checkpoint's heads (a LIST of `checkpoints/` after the
  snapshot's own checkpoint, one GET), when the snapshot names the checkpoint it covers;
- the full listing: one listing of the program's commit keys (split by the slug's first
  character and listed concurrently), when no checkpoint exists or the snapshot names none
  (written before checkpoints, or before any existed). It records the newest checkpoint
  seen before listing, so the next read takes the fast path.

Staleness of the fast path: a commit is seen once a checkpoint states its head. Every flow
run that appends writes one as it ends and the hourly sweep (`checkpoint` deployment)
states every head in the log, so a commit whose run died before its checkpoint, or that
was written with no signing key configured, is seen within the hour after it. The
checkpoint's signature is not verified here (the writer trusts its own store): a head is
only taken from commits that chain from the indexed head up to the hash the checkpoint
states, so a wrong checkpoint can cost extra reads or hide a move, never invent state.
The index is a cache, never an authority: appends stay conditional on seq, so a stale
index can cost a 412 and a re-read but never fork a stream, and `index_problems`
cross-checks it against the streams for `audit verify`.
"""

from __future__ import annotations

import json
import string
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Final

from pydantic import ValidationError

from infra.eventlog.documents import DocumentStore
from infra.eventlog.log import CorruptStreamError, EventLog
from schemas.checkpoint import (
    Checkpoint,
    CheckpointFormatError,
    checkpoint_key,
    parse_checkpoint,
    parse_checkpoint_key,
)
from schemas.commit import Commit, CommitFormatError, parse_commit
from schemas.ids import InvalidIdError
from schemas.state import StreamState, fold
from schemas.state_snapshot import IndexedStream, StateSnapshot
from schemas.streams import RUNS, StreamId, commit_key, parse_commit_key

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
_PARTITIONS: Final = string.digits + string.ascii_lowercase + "_"
"""A stream folder is a slug ([a-z0-9]...) or `_runs`: these first characters cover them all."""
_ATTEMPTS: Final = 8


@dataclass(frozen=True)
class LoadedStates:
    """Current states of a program's review streams, the runs stream's head, and what it cost.

    `checkpoint_seq` is the checkpoint the states are known to include (record it with the
    next snapshot); `via_checkpoint` says whether the fast path was taken; `refresh_index`
    whether a new snapshot is worth writing even if this run appends nothing.
    """

    states: dict[str, StreamState]
    runs: StreamState
    snapshot_sha256: str | None
    indexed: int
    moved: int
    read_fully: int
    checkpoint_seq: int | None = None
    via_checkpoint: bool = False
    refresh_index: bool = False


def _pointer_key(prefix: str, program: str, seq: int) -> str:
    return f"{prefix}index/{program}/{seq:020d}.json"


def _latest_pointer(log: EventLog, program: str) -> tuple[int, str] | None:
    """The newest pointer's (seq, snapshot sha256), or None before the first run."""
    newest: str | None = None
    for key in log.store.list_keys(f"{log.prefix}index/{program}/"):
        newest = key
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
        return None
    try:
        snapshot = StateSnapshot.model_validate_json(raw)
    except ValidationError:
        return None
    return (pointer[1], snapshot) if snapshot.program == program else None


def write_snapshot(
    log: EventLog,
    program: str,
    states: Iterable[StreamState],
    *,
    checkpoint_seq: int | None = None,
) -> str:
    """Store the snapshot (once per content) and point to it unless the newest pointer does.

    `checkpoint_seq` must name a checkpoint whose heads of the program `states` include
    (`LoadedStates.checkpoint_seq`); None makes the next read list every key again.
    """
    body = StateSnapshot.of(program, states, checkpoint_seq=checkpoint_seq).to_bytes()
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


def _list_program(log: EventLog, program: str, workers: int) -> dict[str, list[tuple[int, str]]]:
    """Every commit key of the program by jurisdiction: one listing, split by first character."""
    base = f"{log.prefix}streams/{program}/"
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(_PARTITIONS)))) as pool:
        parts = pool.map(lambda c: list(log.store.list_keys(base + c)), _PARTITIONS)
        keys = [key for part in parts for key in part]
    listed: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for key in keys:
        parsed = parse_commit_key(log.prefix, key)
        if parsed is not None and parsed[0].program == program:
            listed[parsed[0].jurisdiction].append((parsed[1], key))
    for entries in listed.values():
        entries.sort()
    return listed


def _chained(stream: StreamId, commits: Sequence[Commit], start: StreamState) -> bool:
    seq, prev = start.head_seq + 1, start.head_hash
    for commit in commits:
        if commit.stream != stream.name or commit.seq != seq or commit.prev != prev:
            return False
        seq, prev = seq + 1, commit.hash
    return True


def _newest_checkpoint_key(log: EventLog, after: int | None) -> tuple[int, str] | None:
    """The newest checkpoint's (seq, key): listed after checkpoint `after` when one is given."""
    base = f"{log.prefix}checkpoints/"
    start: str | None = None
    newest: tuple[int, str] | None = None
    if after is not None and after >= 0:
        start = checkpoint_key(log.prefix, after)
        newest = (after, start)
    for key in log.store.list_keys(base, start_after=start):
        seq = parse_checkpoint_key(log.prefix, key)
        if seq is not None:
            newest = (seq, key)
    return newest


def _read_checkpoint(log: EventLog, key: str) -> Checkpoint | None:
    """The checkpoint at `key`, or None if it cannot be read (the full listing then decides)."""
    raw = log.store.get(key)
    if raw is None:
        return None
    try:
        return parse_checkpoint(raw)
    except CheckpointFormatError:
        return None


def _finish(
    log: EventLog,
    known: dict[str, StreamState],
    pending: list[tuple[StreamState, list[str], str | None]],
) -> tuple[dict[str, StreamState], int, int]:
    """Read the pending keys at once and fold them onto their starts; a broken chain is re-read.

    Each pending entry is (start state, keys after its head, expected head hash or None).
    """
    bodies = iter(log.store.get_many([key for _, keys, _ in pending for key in keys]))
    states = dict(known)
    moved = read_fully = 0
    for start_state, keys, expected in pending:
        stream, start = start_state.stream, start_state
        try:
            commits = [parse_commit(body) for body in (next(bodies) for _ in keys) if body]
        except CommitFormatError:
            commits = []
        intact = len(commits) == len(keys) and _chained(stream, commits, start)
        if not intact or (expected is not None and commits[-1].hash != expected):
            start = StreamState(stream=stream)
            commits = log.read_stream(stream)  # raises CorruptStreamError if really broken
        moved += start.head_seq >= 0
        read_fully += start.head_seq < 0
        states[stream.jurisdiction] = fold(stream, commits, start)
    return states, moved, read_fully


def _runs_head(log: EventLog, program: str, known_seq: int | None) -> StreamState:
    """The runs stream's head (seq and hash only): its keys after the known head, one GET."""
    stream = StreamId.runs(program)
    after = None if known_seq is None else commit_key(log.prefix, stream, known_seq)
    top = after
    for key in log.store.list_keys(stream.key_prefix(log.prefix), start_after=after):
        top = key
    raw = None if top is None else log.store.get(top)
    return fold(stream, [parse_commit(raw)]) if raw else StreamState(stream=stream)


def _from_checkpoint(
    log: EventLog, program: str, digest: str, snapshot: StateSnapshot, checkpoint: Checkpoint
) -> LoadedStates:
    """The fast path: the snapshot moved forward to the checkpoint's heads, nothing listed."""
    indexed = {entry.jurisdiction: entry for entry in snapshot.streams}
    known = {slug: entry.state(program) for slug, entry in indexed.items()}
    pending: list[tuple[StreamState, list[str], str | None]] = []
    runs_seq: int | None = None
    base = f"{program}/"
    for name, head in checkpoint.heads.items():
        if not name.startswith(base):
            continue
        jurisdiction = name.removeprefix(base)
        if jurisdiction == RUNS:
            runs_seq = head.seq
            continue
        entry = indexed.get(jurisdiction)
        if entry is not None and head.seq <= entry.head_seq:
            continue
        try:
            stream = StreamId(program=program, jurisdiction=jurisdiction)
        except InvalidIdError:
            continue  # never a commit's stream name: nothing to read
        start = known[jurisdiction] if entry is not None else StreamState(stream=stream)
        keys = [
            commit_key(log.prefix, stream, seq) for seq in range(start.head_seq + 1, head.seq + 1)
        ]
        pending.append((start, keys, head.hash))
    states, moved, read_fully = _finish(log, known, pending)
    return LoadedStates(
        states=dict(sorted(states.items())),
        runs=_runs_head(log, program, runs_seq),
        snapshot_sha256=digest,
        indexed=len(indexed),
        moved=moved,
        read_fully=read_fully,
        checkpoint_seq=checkpoint.seq,
        via_checkpoint=True,
        refresh_index=bool(moved or read_fully),
    )


def _from_listing(
    log: EventLog,
    program: str,
    latest: tuple[str, StateSnapshot] | None,
    checkpoint_seq: int,
    workers: int,
) -> LoadedStates:
    """The full path: one listing of every commit key of the program."""
    indexed = {} if latest is None else {e.jurisdiction: e for e in latest[1].streams}
    listed = _list_program(log, program, workers)
    states: dict[str, StreamState] = {}
    pending: list[tuple[StreamState, list[str], str | None]] = []
    runs = StreamState(stream=StreamId.runs(program))
    for jurisdiction, entries in listed.items():
        stream = StreamId(program=program, jurisdiction=jurisdiction)
        if jurisdiction == RUNS:
            raw = log.store.get(entries[-1][1])
            runs = fold(stream, [parse_commit(raw)]) if raw else runs  # seq and prev only
            continue
        entry = indexed.get(jurisdiction)
        start = entry.state(program) if entry is not None else StreamState(stream=stream)
        if entry is not None and entries[-1][0] < entry.head_seq:
            start = StreamState(stream=stream)  # the index is ahead of the store: trust the store
        newer = [key for seq, key in entries if seq > start.head_seq]
        if newer:
            pending.append((start, newer, None))
        else:
            states[jurisdiction] = start
    states, moved, read_fully = _finish(log, states, pending)
    snapshot = None if latest is None else latest[1]
    return LoadedStates(
        states=dict(sorted(states.items())),
        runs=runs,
        snapshot_sha256=None if latest is None else latest[0],
        indexed=len(indexed),
        moved=moved,
        read_fully=read_fully,
        checkpoint_seq=checkpoint_seq,
        refresh_index=bool(
            snapshot is None
            or moved
            or read_fully
            or len(states) != len(indexed)
            or snapshot.checkpoint_seq != checkpoint_seq
        ),
    )


def load_states(log: EventLog, program: str, *, workers: int = 16) -> LoadedStates:
    """Current states of every review stream of `program`, via the index where it is fresh.

    The fast path (newest checkpoint's heads) when the snapshot names a checkpoint it
    covers; otherwise one listing of the program's keys (see the module docstring).
    """
    latest = latest_snapshot(log, program)
    reference = None if latest is None else latest[1].checkpoint_seq
    newest = _newest_checkpoint_key(log, reference)
    if latest is not None and reference is not None and newest is not None:
        checkpoint = _read_checkpoint(log, newest[1])
        if checkpoint is not None and checkpoint.seq >= reference:
            return _from_checkpoint(log, program, latest[0], latest[1], checkpoint)
    # The checkpoint was found before listing: every head it states is in the listing.
    return _from_listing(log, program, latest, -1 if newest is None else newest[0], workers)


def snapshot_states(
    log: EventLog, program: str, digest: str, first: str, last: str
) -> dict[str, StreamState]:
    """The states of snapshot `digest` from jurisdiction `first` to `last` (inclusive).

    How a distributed run hands each range run exactly the states its parent read.
    """
    raw = DocumentStore(log.store, log.prefix).get(digest)
    if raw is None:
        raise LookupError(f"state snapshot {digest[:12]} is missing or damaged")
    snapshot = StateSnapshot.model_validate_json(raw)
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
