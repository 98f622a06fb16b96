"""Bringing a state snapshot up to date: the checkpoint fast path and the full listing.

`infra/index/state_index.py` chooses the path (its docstring says when and why); this module
reads only the commits past each indexed head and folds them on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from infra.errors import UntrustedCommitError
from infra.eventlog.listing import list_partitioned, newest_key
from infra.eventlog.log import CorruptStreamError, EventLog
from schemas.base.ids import InvalidIdError
from schemas.log.chain import chain_break
from schemas.log.commit import MAX_COMMIT_BYTES, Commit
from schemas.log.cumulative_checkpoint import (
    MAX_CHECKPOINT_BYTES,
    Checkpoint,
    CheckpointFormatError,
    checkpoint_key,
    parse_checkpoint,
    parse_checkpoint_key,
)
from schemas.log.soundness import CommitProblem, sound_commit
from schemas.log.state import StreamState, fold
from schemas.log.state_snapshot import StateSnapshot
from schemas.log.streams import ACTS, RUNS, StreamId, commit_key, parse_commit_key

__all__ = [
    "LoadedStates",
    "from_checkpoint",
    "from_listing",
    "keys_up_to",
    "newest_checkpoint_key",
    "read_checkpoint",
    "read_forward",
    "read_pending",
    "runs_head",
]


@dataclass(frozen=True)
class LoadedStates:
    """Current states of a program's review streams, the runs stream's head, and what it cost.

    `checkpoint_seq` and `tlog_batch_seq` are the checkpoint and the transparency-log batch
    the states are known to include (record both with the next snapshot); `via_checkpoint`
    and `via_batches` say which fast path was taken (neither: the full listing);
    `refresh_index` whether a new snapshot is worth writing even if this run appends nothing.
    """

    states: dict[str, StreamState]
    runs: StreamState
    snapshot_sha256: str | None
    indexed: int
    moved: int
    read_fully: int
    checkpoint_seq: int | None = None
    via_checkpoint: bool = False
    tlog_batch_seq: int | None = None
    via_batches: bool = False
    refresh_index: bool = False
    damaged: dict[str, str] = field(default_factory=dict)
    """Streams set aside (jurisdiction: why): an object that is no commit, a broken chain or
    an untrusted signature. They are in no state and no snapshot; the run reports them and
    goes on with every other stream (issue #13, H3)."""


ENUMERATE_UP_TO: Final = 8
"""A checkpoint head at most this many seqs past the indexed head is read key by key (no
listing: the fast path's point); a wider gap is listed, so a head at an absurd seq costs
one listing bounded by the objects there, never a key per seq."""


def _list_program(log: EventLog, program: str, workers: int) -> dict[str, list[tuple[int, str]]]:
    """Every commit key of the program by jurisdiction: one listing, in concurrent key ranges."""
    keys = list_partitioned(log.store, [f"{log.prefix}streams/{program}/"], workers)
    listed: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for key in keys:
        parsed = parse_commit_key(log.prefix, key)
        if parsed is not None and parsed[0].program == program:
            listed[parsed[0].jurisdiction].append((parsed[1], key))
    for entries in listed.values():
        entries.sort()
    return listed


def _chained(stream: StreamId, commits: Sequence[Commit], start: StreamState) -> bool:
    return chain_break(stream, commits, seq=start.head_seq + 1, prev=start.head_hash) is None


def newest_checkpoint_key(log: EventLog, after: int | None) -> tuple[int, str] | None:
    """The newest checkpoint's (seq, key): listed after checkpoint `after` when one is given."""
    start = None if after is None or after < 0 else checkpoint_key(log.prefix, after)
    key = newest_key(
        log.store,
        f"{log.prefix}checkpoints/",
        start_after=start,
        accept=lambda k: parse_checkpoint_key(log.prefix, k) is not None,
    )
    seq = None if key is None else parse_checkpoint_key(log.prefix, key)
    if key is not None and seq is not None:
        return seq, key
    return None if after is None or start is None else (after, start)


def read_checkpoint(log: EventLog, key: str) -> Checkpoint | None:
    """The checkpoint at `key`, or None if it cannot be read (the full listing then decides)."""
    raw = log.store.get(key, limit=MAX_CHECKPOINT_BYTES)
    if raw is None:
        return None
    try:
        return parse_checkpoint(raw)
    except (CheckpointFormatError, RecursionError):
        return None


def read_pending(
    log: EventLog,
    known: dict[str, StreamState],
    pending: list[tuple[StreamState, list[str], str | None]],
) -> tuple[dict[str, StreamState], int, int, dict[str, str]]:
    """Read the pending keys at once and fold them onto their starts; a broken chain is re-read.

    Each pending entry is (start state, keys after its head, expected head hash or None).
    A stream still broken when read whole, or holding an untrusted commit, is set aside:
    dropped from the states and returned with the reason, never folded on.
    """
    keys = [key for _, stream_keys, _ in pending for key in stream_keys]
    bodies = iter(log.store.get_many(keys, limit=MAX_COMMIT_BYTES))
    states = dict(known)
    damaged: dict[str, str] = {}
    moved = read_fully = 0
    for start_state, stream_keys, expected in pending:
        stream, start = start_state.stream, start_state
        chunk = [next(bodies) for _ in stream_keys]
        judged = [sound_commit(body, stream) for body in chunk if body]
        commits = [commit for commit in judged if not isinstance(commit, CommitProblem)]
        if len(commits) < len(judged):
            commits = []  # read whole below: the writer's read names the damage
        intact = len(commits) == len(stream_keys) and _chained(stream, commits, start)
        try:
            if not intact or (
                expected is not None and (not commits or commits[-1].hash != expected)
            ):
                start = StreamState(stream=stream)
                commits = log.read_stream(stream)  # CorruptStreamError if really broken
            log.check_signatures(stream, commits)  # never fold on an unsigned or forged commit
        except (CorruptStreamError, UntrustedCommitError) as error:
            states.pop(stream.jurisdiction, None)
            damaged[stream.jurisdiction] = str(error)
            continue
        moved += start.head_seq >= 0
        read_fully += start.head_seq < 0
        states[stream.jurisdiction] = fold(stream, commits, start)
    return states, moved, read_fully, damaged


def keys_up_to(log: EventLog, stream: StreamId, start: StreamState, head_seq: int) -> list[str]:
    """The commit keys of `stream` after `start`'s head up to `head_seq`, bounded by objects."""
    if head_seq - start.head_seq <= ENUMERATE_UP_TO:
        return [
            commit_key(log.prefix, stream, seq) for seq in range(start.head_seq + 1, head_seq + 1)
        ]
    after = None if start.head_seq < 0 else commit_key(log.prefix, stream, start.head_seq)
    last = commit_key(log.prefix, stream, head_seq)
    return list(log.store.list_range(stream.key_prefix(log.prefix), after, last))


def runs_head(log: EventLog, program: str, known_seq: int | None) -> StreamState:
    """The runs stream's head (seq and hash only): its keys after the known head, one GET."""
    stream = StreamId.runs(program)
    after = None if known_seq is None else commit_key(log.prefix, stream, known_seq)
    top = newest_key(log.store, stream.key_prefix(log.prefix), start_after=after) or after
    raw = None if top is None else log.store.get(top, limit=MAX_COMMIT_BYTES)
    if top is None or not raw:
        return StreamState(stream=stream)
    head = log.sound(stream, top, raw)
    log.check_signatures(stream, [head])  # the next run record chains onto it
    return fold(stream, [head])


def read_forward(
    log: EventLog,
    snapshot: StateSnapshot,
    program: str,
    targets: Sequence[tuple[StreamId, int, str | None]],
) -> tuple[dict[str, StreamState], int, int, dict[str, str]]:
    """The snapshot's states moved forward to each target (stream, seq, expected hash or None).

    A target at or below its indexed head is already known; the others are read from their
    indexed head (or whole, for a stream the snapshot lacks) up to the target's seq.
    """
    indexed = {entry.jurisdiction: entry for entry in snapshot.streams}
    known = {slug: entry.state(program) for slug, entry in indexed.items()}
    pending: list[tuple[StreamState, list[str], str | None]] = []
    for stream, seq, digest in targets:
        entry = indexed.get(stream.jurisdiction)
        if entry is not None and seq <= entry.head_seq:
            continue
        start = known[stream.jurisdiction] if entry is not None else StreamState(stream=stream)
        pending.append((start, keys_up_to(log, stream, start, seq), digest))
    return read_pending(log, known, pending)


def from_checkpoint(
    log: EventLog, program: str, digest: str, snapshot: StateSnapshot, checkpoint: Checkpoint
) -> LoadedStates:
    """The fast path: the snapshot moved forward to the checkpoint's heads, nothing listed."""
    runs_seq: int | None = None
    targets: list[tuple[StreamId, int, str | None]] = []
    base = f"{program}/"
    for name, head in checkpoint.heads.items():
        if not name.startswith(base):
            continue
        jurisdiction = name.removeprefix(base)
        if jurisdiction == RUNS:
            runs_seq = head.seq
        if jurisdiction in {RUNS, ACTS}:  # not review streams; only `_runs` heads the runs
            continue
        try:
            stream = StreamId(program=program, jurisdiction=jurisdiction)
        except InvalidIdError:
            continue  # never a commit's stream name: nothing to read
        targets.append((stream, head.seq, head.hash))
    states, moved, read_fully, damaged = read_forward(log, snapshot, program, targets)
    return LoadedStates(
        states=dict(sorted(states.items())),
        runs=runs_head(log, program, runs_seq),
        snapshot_sha256=digest,
        indexed=len(snapshot.streams),
        moved=moved,
        read_fully=read_fully,
        checkpoint_seq=checkpoint.seq,
        via_checkpoint=True,
        refresh_index=bool(moved or read_fully or damaged),
        damaged=damaged,
    )


def from_listing(
    log: EventLog,
    program: str,
    latest: tuple[str, StateSnapshot] | None,
    checkpoint_seq: int,
    workers: int,
    *,
    tlog_batch_seq: int | None = None,
) -> LoadedStates:
    """The full path: one listing of every commit key of the program.

    `tlog_batch_seq` is the newest batch seen before listing (None before the cut-over):
    every commit it or an earlier batch names was stored before the listing began.
    """
    indexed = {} if latest is None else {e.jurisdiction: e for e in latest[1].streams}
    listed = _list_program(log, program, workers)
    states: dict[str, StreamState] = {}
    pending: list[tuple[StreamState, list[str], str | None]] = []
    runs = StreamState(stream=StreamId.runs(program))
    for jurisdiction, entries in listed.items():
        stream = StreamId(program=program, jurisdiction=jurisdiction)
        if jurisdiction == ACTS:  # people's acts: not a review stream, not the runs
            continue
        if jurisdiction == RUNS:
            raw = log.store.get(entries[-1][1], limit=MAX_COMMIT_BYTES)
            if raw:  # seq and prev only; the next run record chains onto it
                head = log.sound(stream, entries[-1][1], raw)
                log.check_signatures(stream, [head])
                runs = fold(stream, [head])
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
    states, moved, read_fully, damaged = read_pending(log, states, pending)
    snapshot = None if latest is None else latest[1]
    return LoadedStates(
        states=dict(sorted(states.items())),
        runs=runs,
        snapshot_sha256=None if latest is None else latest[0],
        indexed=len(indexed),
        moved=moved,
        read_fully=read_fully,
        checkpoint_seq=checkpoint_seq,
        tlog_batch_seq=tlog_batch_seq,
        refresh_index=bool(
            snapshot is None
            or moved
            or read_fully
            or len(states) != len(indexed)
            or snapshot.checkpoint_seq != checkpoint_seq
            or snapshot.tlog_batch_seq != tlog_batch_seq
        ),
        damaged=damaged,
    )
