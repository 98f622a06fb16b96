"""Batches as the log's key vouches for them: a claim counts only once its note verifies.

A claim is an unsigned object anyone with write access can plant; its note (C2SP
checkpoint) signs it, for `/2` claims through the extension line naming the claim's hash
(docs/tlog.md). Everything that asks "is this commit a leaf, and where?" goes through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from infra.errors import UntrustedCheckpointError
from infra.platform.logging import get_logger
from schemas.tlog.checkpoint import CheckpointError, TreeHead, open_checkpoint
from schemas.tlog.layout import (
    BATCH_DATING_SLACK,
    Batch,
    BatchFormatError,
    batch_key,
    batch_line,
    checkpoint_note_key,
    index_key,
    parse_batch,
    parse_index_body,
)
from schemas.tlog.note import NoteError, NoteVerifier

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from infra.eventlog.tlog_store import TlogStore
    from schemas.log.cumulative_checkpoint import Keyring

__all__ = ["SignedBatch", "SignedBatches", "open_signed"]

_log = get_logger(__name__)
_SEARCH_STEP: Final = 4
"""Batches read at once when searching forward for a commit from its time."""
_RANGE_LIMIT: Final = 4096
"""Seqs scanned by number, without a listing; more (a planted gap?) are listed first."""


@dataclass(frozen=True, slots=True)
class SignedBatch:
    """A batch, its claim's bytes, its note and the tree head the note signs."""

    batch: Batch
    raw: bytes
    note: bytes
    head: TreeHead


def _verifiers(keyring: Keyring, origin: str, moment: datetime) -> list[NoteVerifier]:
    """The checkpoint keys valid at `moment`, named by the origin as the spec advises."""
    return [
        NoteVerifier(origin, bytes.fromhex(key.public_key))
        for key in keyring.keys
        if key.covers(moment)
    ]


def open_signed(seq: int, raw: bytes, note: bytes, keyring: Keyring, origin: str) -> SignedBatch:
    """Claim `seq` and its note, verified together; `UntrustedCheckpointError` otherwise."""
    try:
        batch = parse_batch(raw)
        head = open_checkpoint(note, _verifiers(keyring, origin, batch.time), origin)
    except (BatchFormatError, CheckpointError, NoteError) as error:
        raise UntrustedCheckpointError(f"tlog checkpoint {seq}: {error}") from None
    if batch.seq != seq or head.size != batch.size:
        raise UntrustedCheckpointError(
            f"tlog checkpoint {seq} states size {head.size}, its batch {batch.size}"
        )
    bound = batch_line(seq, raw) in head.extensions
    if batch.signed != bound:
        raise UntrustedCheckpointError(f"tlog checkpoint {seq} does not sign its batch")
    return SignedBatch(batch, raw, note, head)


class SignedBatches:
    """Signed batches of one log, read once each: where a commit sits in the tree."""

    def __init__(self, tlog: TlogStore, keyring: Keyring, origin: str) -> None:
        self.tlog = tlog
        self.keyring = keyring
        self.origin = origin
        self._cache: dict[int, SignedBatch | None] = {}
        self._claimed: tuple[int, list[int]] | None = None

    def get(self, seq: int) -> SignedBatch | None:
        """Batch `seq` if its note verifies and signs it; None if it has no note."""
        if seq not in self._cache:
            self.load([seq])
        return self._cache.get(seq)

    def load(self, seqs: Sequence[int]) -> None:
        """Read the claims and notes of `seqs` (concurrently) into the cache."""
        todo = sorted({seq for seq in seqs if seq not in self._cache})
        prefix = self.tlog.prefix
        keys = [batch_key(prefix, seq) for seq in todo]
        keys += [checkpoint_note_key(prefix, seq) for seq in todo]
        raws = self.tlog.store.get_many(keys)
        for seq, raw, note in zip(todo, raws[: len(todo)], raws[len(todo) :], strict=True):
            if raw is None or note is None:
                continue  # not (yet) signed: asked again next time, never cached as absent
            signed = None
            try:
                signed = open_signed(seq, raw, note, self.keyring, self.origin)
            except UntrustedCheckpointError as error:  # planted: `audit verify` names it
                _log.warning("tlog_note_untrusted", seq=seq, problem=str(error))
            self._cache[seq] = signed

    def chain(self, newest: int) -> list[SignedBatch]:
        """Every signed batch from 0 up to `newest`, following each one's `builds_on`."""
        self.load([seq for seq in self.tlog.claimed_seqs() if seq <= newest])
        found: list[SignedBatch] = []
        seq = newest
        while seq >= 0:
            signed = self._cache.get(seq)
            if signed is None:
                raise UntrustedCheckpointError(f"tlog batch {seq} is in the chain but unsigned")
            found.append(signed)
            seq = signed.batch.builds_on
        return found[::-1]

    def _claimed_up_to(self, below: int) -> list[int]:
        """Every claimed seq up to `below`, in order (one listing per `below` asked)."""
        if self._claimed is None or self._claimed[0] < below:
            self._claimed = (below, self.tlog.claimed_seqs())
        return [seq for seq in self._claimed[1] if seq <= below]

    def _first_dated(self, seqs: Sequence[int], moment: datetime) -> int:
        """Index in `seqs` of the first signed batch dated `moment` or later (binary search).

        Signed batches are dated in seq order (the integrator never dates one before the
        batch it builds on); unsigned claims in between are stepped over.
        """
        low, high = 0, len(seqs)
        while low < high:
            middle = (low + high) // 2
            probe = middle
            signed = None
            while probe < high and signed is None:
                signed = self.get(seqs[probe])
                probe += 0 if signed is not None else 1
            if signed is None or signed.batch.time >= moment:
                high = middle
            else:
                low = probe + 1
        return low

    def _dated(self, seq: int) -> datetime | None:
        signed = self.get(seq)
        return None if signed is None else signed.batch.time

    def _galloped_start(self, moment: datetime, below: int) -> int | None:
        """The first seq up to `below` whose batch is dated `moment` or later, from the top.

        Steps of 1, 2, 4... back, then a binary search. None if a probe meets a seq with no
        signed batch (an abandoned claim, or a gap): the caller lists instead.
        """
        high, step = below, 1  # batch `high` is dated >= moment, or is `below` itself
        low = high - step
        while low >= 0:
            dated = self._dated(low)
            if dated is None:
                return None
            if dated < moment:
                break
            high, step = low, step * 2
            low = high - step
        low = max(low, -1)  # batch `low` is dated < moment, or -1
        while high - low > 1:
            middle = (low + high) // 2
            dated = self._dated(middle)
            if dated is None:
                return None
            low, high = (middle, high) if dated < moment else (low, middle)
        return high

    def _seqs_from(self, moment: datetime, below: int) -> list[int]:
        """The seqs up to `below` of the batches that may hold a commit written at `moment`.

        Batches dated from `moment - BATCH_DATING_SLACK` on. Recent moments (a writer's own
        commits) cost a few reads from the top and no listing; otherwise, or past an
        abandoned claim, the claimed seqs are listed once and searched.
        """
        since = moment - BATCH_DATING_SLACK
        if below < 0:
            return []
        start = self._galloped_start(since, below)
        if start is not None and below - start < _RANGE_LIMIT:
            return list(range(start, below + 1))
        seqs = self._claimed_up_to(below)
        return seqs[self._first_dated(seqs, since) :]

    def _signed_since(self, moment: datetime, below: int) -> list[SignedBatch]:
        """The signed batches up to `below` dated from `moment - BATCH_DATING_SLACK` on."""
        seqs = self._seqs_from(moment, below)
        if not seqs:
            return []
        self.load(seqs)
        found: list[SignedBatch] = []
        seq = below
        while seq >= seqs[0]:
            signed = self._cache.get(seq)
            if signed is None:
                raise UntrustedCheckpointError(f"tlog batch {seq} is in the chain but unsigned")
            found.append(signed)
            seq = signed.batch.builds_on
        return found

    def leaves_since(self, moment: datetime, below: int) -> dict[str, int]:
        """Leaf index of every commit the signed batches up to `below` hold, from `moment` on.

        "From `moment` on": batches dated no earlier than `moment - BATCH_DATING_SLACK`,
        which hold every leaf whose commit was written at `moment` or later. This is the
        lookup that replaces a per-commit index: O(log batches) reads to find where to
        start, then the batches since, each read once per process.
        """
        found: dict[str, int] = {}
        for signed in self._signed_since(moment, below):
            batch = signed.batch
            found.update((key, batch.old_size + n) for n, key in enumerate(batch.commits))
        return found

    def held_since(self, keys: Iterable[str], moment: datetime, below: int) -> set[str]:
        """Which of `keys` the signed batches of `leaves_since` hold (no map of their leaves).

        A writer asks this of its own few commits: a set intersection per batch, so a large
        sweep batch of the last hour costs one pass in C, not a leaf map of its 10,000 keys.
        """
        wanted = set(keys)
        held: set[str] = set()
        for signed in self._signed_since(moment, below):
            held |= wanted.intersection(signed.batch.commits)
        return held

    def leaf_of(self, commit_key: str, below: int, written: datetime | None = None) -> int | None:
        """The commit's leaf in the signed batches up to `below`, or None if it is none.

        `written`: the commit's own time; the batches from then on are searched first
        (`leaves_since`). An index entry (logs integrated before issue #21's lookup) is
        tried first and counts only if the signed batch it names agrees; a contradicted one
        is damage `audit verify` names. Not found so far: every signed batch is searched,
        so neither a planted entry nor a misdated commit hides a leaf.
        """
        raw = self.tlog.store.get(index_key(self.tlog.prefix, commit_key))
        try:
            leaf, seq = (-1, -1) if raw is None else parse_index_body(raw)
        except BatchFormatError:
            leaf, seq = -1, -1
        if 0 <= seq <= below:
            self.load([seq])
            if self._holds(seq, leaf, commit_key, below):
                return leaf
        if raw is not None:
            _log.warning("tlog_index_entry_contradicted", key=commit_key, leaf=leaf, batch=seq)
        if written is not None:
            found = self._search_from(commit_key, written, below)
            if found is not None:
                return found
        for signed in reversed(self.chain(below)):
            if commit_key in signed.batch.commits:
                return signed.batch.old_size + signed.batch.commits.index(commit_key)
        return None

    def _search_from(self, commit_key: str, written: datetime, below: int) -> int | None:
        """The commit's leaf in the signed batches dated from `written` on, or None.

        Read a few at a time, stopping at the first that holds it (usually the first or
        second). A hit needs no walk of the chain: the receipt built on it is checked against the
        signed root before it is handed out.
        """
        seqs = self._seqs_from(written, below)
        for first in range(0, len(seqs), _SEARCH_STEP):
            chunk = seqs[first : first + _SEARCH_STEP]
            self.load(chunk)
            for seq in chunk:
                signed = self._cache.get(seq)
                if signed is not None and commit_key in signed.batch.commits:
                    return signed.batch.old_size + signed.batch.commits.index(commit_key)
        return None

    def _holds(self, seq: int, leaf: int, key: str, below: int) -> bool:
        signed = self._cache.get(seq) if 0 <= seq <= below else None
        if signed is None:
            return False
        offset = leaf - signed.batch.old_size
        return 0 <= offset < len(signed.batch.commits) and signed.batch.commits[offset] == key
