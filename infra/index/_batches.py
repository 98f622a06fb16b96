"""The state index's fast path after the cut-over: the transparency log's batches.

A batch names every commit it integrates, so the batches after the snapshot's own say
which streams moved and how far, with one LIST and one GET per batch instead of a listing
of every commit key of the program. `infra/index/state_index.py` chooses the path.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Final

from infra.index._catchup import LoadedStates, read_forward, runs_head
from schemas.log.streams import ACTS, RUNS, parse_commit_key
from schemas.tlog.layout import Batch, BatchFormatError, batch_folder, batch_key, parse_batch
from schemas.tlog.layout import parse_sequence_key as parse_batch_key

if TYPE_CHECKING:
    from infra.eventlog.log import EventLog
    from schemas.log.state_snapshot import StateSnapshot
    from schemas.log.streams import StreamId

__all__ = ["MAX_BATCH_BYTES", "MAX_CATCHUP_BATCHES", "batches_since", "from_batches"]

MAX_CATCHUP_BATCHES: Final = 256
"""At most this many batches past the snapshot's are read (one GET each, concurrently);
further behind, the full listing is cheaper or as cheap (a few dozen LIST pages of 1,000
keys) and bounds memory: the hourly sweep alone adds 24 batches a day, a busy day of
respond runs a few hundred, and every reevaluation refreshes its snapshot."""

MAX_BATCH_BYTES: Final = 4 * 1024 * 1024
"""A batch holds at most 10,000 commit keys (about 1 MB); a larger object is no batch the
integrator wrote, so the full listing decides."""

REFRESH_AFTER: Final = MAX_CATCHUP_BATCHES // 4
"""A snapshot no stream of whose program moved is still rewritten once it is this many
batches behind (other programs' runs), so reads never drift past the cap into listings."""


def batches_since(log: EventLog, recorded: int) -> list[Batch] | None:
    """The batches after `recorded`, in order, or None when the full listing must decide.

    One listing from batch `recorded` on proves that batch exists in this log (a snapshot
    of another log, or one ahead of the tlog, is not trusted) and finds the newer ones;
    None too when they are more than the cap, not gapless, or do not parse.
    """
    folder = batch_folder(log.prefix)
    start = None if recorded <= 0 else batch_key(log.prefix, recorded - 1)
    keys = (key for key in log.store.list_keys(folder, start_after=start))
    listed = list(islice(keys, MAX_CATCHUP_BATCHES + 2))
    seqs = [parse_batch_key(folder, key) for key in listed]
    expected = list(range(recorded, recorded + len(listed)))
    if len(listed) > MAX_CATCHUP_BATCHES + 1 or seqs != expected:
        return None  # too far behind, or the snapshot's batch is not where it should be
    batches: list[Batch] = []
    for seq, raw in zip(
        expected[1:], log.store.get_many(listed[1:], limit=MAX_BATCH_BYTES), strict=True
    ):
        try:
            batch = parse_batch(raw or b"")
        except BatchFormatError:
            return None
        if batch.seq != seq:
            return None
        batches.append(batch)
    return batches


def _integrated(
    log: EventLog, program: str, batches: list[Batch]
) -> tuple[dict[str, tuple[StreamId, int]], int | None]:
    """The program's review streams the batches name, with the newest seq of each; the runs'.

    Keys of other programs, of other prefixes and malformed keys are skipped: a batch
    can only send the reader to a stream of this program.
    """
    moved: dict[str, tuple[StreamId, int]] = {}
    runs_seq: int | None = None
    for batch in batches:
        for key in batch.commits:
            parsed = parse_commit_key(log.prefix, key)
            if parsed is None or parsed[0].program != program:
                continue
            stream, seq = parsed
            if stream.jurisdiction == RUNS:
                runs_seq = max(seq, runs_seq or 0)
            elif stream.jurisdiction != ACTS:
                known = moved.get(stream.jurisdiction)
                moved[stream.jurisdiction] = (stream, max(seq, -1 if known is None else known[1]))
    return moved, runs_seq


def from_batches(
    log: EventLog, program: str, digest: str, snapshot: StateSnapshot, batches: list[Batch]
) -> LoadedStates:
    """The snapshot moved forward by the commits the newer batches integrated, nothing listed.

    Each named stream is read from its indexed head up to the newest seq a batch names,
    checked to chain from that head (else read whole); a named stream that holds no commit
    is no stream and is left out.
    """
    recorded = snapshot.tlog_batch_seq or 0
    newest = batches[-1].seq if batches else recorded
    moved_streams, runs_seq = _integrated(log, program, batches)
    targets = [(stream, seq, None) for _, (stream, seq) in sorted(moved_streams.items())]
    states, moved, read_fully, damaged = read_forward(log, snapshot, program, targets)
    states = {slug: state for slug, state in states.items() if state.head_seq >= 0}
    return LoadedStates(
        states=dict(sorted(states.items())),
        runs=runs_head(log, program, runs_seq),
        snapshot_sha256=digest,
        indexed=len(snapshot.streams),
        moved=moved,
        read_fully=read_fully,
        checkpoint_seq=snapshot.checkpoint_seq,
        tlog_batch_seq=newest,
        via_batches=True,
        refresh_index=bool(moved or read_fully or damaged or newest - recorded >= REFRESH_AFTER),
        damaged=damaged,
    )
