"""The integrator: adds new commits to the Merkle tree and signs the next C2SP checkpoint.

Writers only append commits. Integration, at the end of every run that appended, hourly,
and on `grantreview checkpoint`, (1) reads the newest *signed* checkpoint and verifies it
(signature by a key valid at its batch's time, the tiles' root, consistency with the batch
it builds on), writing nothing; (2) settles the claims above it: one that can be finished
is finished, one that cannot is skipped once it is `SUPERSEDE_AFTER` old, and the next
signed batch's `prev` records the skip (docs/tlog.md); (3) finds pending commits (the
commits this process wrote, and the heads a run names; or, in a sweep, every commit that is
no leaf of a signed batch); (4) claims the next batch put-if-absent; (5) writes tiles and
the note, whose extension line signs the claim itself. Nothing is written per commit: where
a commit sits is read from the signed batches (`SignedBatches.leaves_since`, `held_since`).
"""

from __future__ import annotations

from dataclasses import dataclass
from time import sleep
from typing import TYPE_CHECKING, Final

from infra.errors import UnsignedTileError, UntrustedCheckpointError
from infra.eventlog._commits import CommitChecker
from infra.eventlog._signed_batches import SignedBatches, open_signed
from infra.eventlog.listing import newest_key
from infra.eventlog.tlog_store import TlogStore
from infra.platform.logging import get_logger
from schemas.base.errors import DamagedDataError
from schemas.log.commit import parse_commit
from schemas.log.cumulative_checkpoint import parse_checkpoint_key
from schemas.log.streams import commit_key, parse_commit_key
from schemas.tlog.checkpoint import TreeHead, sign_checkpoint
from schemas.tlog.layout import (
    BATCH_FORMAT,
    CLOCK_SKEW,
    SUPERSEDE_AFTER,
    Batch,
    BatchFormatError,
    batch_line,
    parse_batch,
    tile_key,
)
from schemas.tlog.merkle import EMPTY_ROOT, consistency_proof, tree_root, verify_consistency
from schemas.tlog.note import NoteVerifier
from schemas.tlog.tiles import integrate_tiles, tile_hash_reader

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from infra.eventlog.log import EventLog
    from schemas.log.cumulative_checkpoint import Keyring, Signer
    from schemas.log.streams import StreamId

__all__ = ["Integrator", "TrustedCheckpoint"]

_ATTEMPTS: Final = 32
_BLOCKED_PAUSES: Final = (0.2, 0.5, 1.0, 2.0, 4.0)
"""Seconds to wait, in turn, for a fresh claim that cannot be finished yet (a rival still
writing it, or one that finished it a moment ago) before deferring to the next run."""
_MAX_BATCH: Final = 10_000
"""Leaves per batch: a first sweep of an old log is several batches, each claim < 1 MB."""
_UNSIGNED_NOTES: Final = 64
"""Notes that do not verify passed over, newest first, before the log counts as forged."""
_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TrustedCheckpoint:
    """A verified checkpoint: its batch seq, tree head and the signed note as stored."""

    seq: int
    head: TreeHead
    note: bytes
    time: datetime | None


@dataclass(frozen=True, slots=True)
class _Settled:
    """Where the next claim goes: on `current`, at seq `next_seq`; or held up (`blocked`)."""

    current: TrustedCheckpoint
    next_seq: int
    blocked: bool = False


class Integrator:
    """Integrates one log's commits into its tree; signs with the log's checkpoint key.

    Without a signer it only reads: `newest` is the newest signed checkpoint (what
    receipts and auditors need, with read-only credentials). `newest` never writes.
    """

    def __init__(
        self, log: EventLog, *, origin: str, signer: Signer | None, keyring: Keyring
    ) -> None:
        self.log = log
        self.origin = origin
        self.signer = signer
        self.keyring = keyring
        self.tlog = TlogStore(log.store, log.prefix)
        self.batches = SignedBatches(self.tlog, keyring, origin)
        self.commits = CommitChecker(log, keyring)

    def verifiers_any(self) -> list[NoteVerifier]:
        """Every checkpoint key of the keyring, whatever its window (a stored, seen note)."""
        return [NoteVerifier(self.origin, bytes.fromhex(k.public_key)) for k in self.keyring.keys]

    # -- reading and verifying the newest signed checkpoint -----------------------------

    def _empty(self) -> TrustedCheckpoint:
        return TrustedCheckpoint(-1, TreeHead(self.origin, 0, EMPTY_ROOT), b"", None)

    def _signed(self, seq: int) -> TrustedCheckpoint:
        """Signed checkpoint `seq`, its signature checked (-1: the empty tree)."""
        if seq < 0:
            return self._empty()
        signed = self.batches.get(seq)
        if signed is None:
            raise UntrustedCheckpointError(f"tlog batch {seq} or its checkpoint is missing")
        return TrustedCheckpoint(seq, signed.head, signed.note, signed.batch.time)

    def _check_tree(self, head: TreeHead, previous: TreeHead) -> None:
        """The tiles give the head's root, and the tree extends the previous one."""
        hash_at = tile_hash_reader(head.size, self.tlog.read_tile)
        if tree_root(head.size, hash_at) != head.root:
            raise UntrustedCheckpointError(
                f"tree_mismatch: tiles do not give size {head.size}'s root"
            )
        proof = (
            consistency_proof(previous.size, head.size, hash_at)
            if 0 < previous.size < head.size
            else []
        )
        if not verify_consistency(previous.size, head.size, previous.root, head.root, proof):
            raise UntrustedCheckpointError(
                f"inconsistent_checkpoint: size {head.size} does not extend size {previous.size}"
            )

    def newest(self) -> TrustedCheckpoint:
        """The newest checkpoint the log's key signed, verified against its tiles.

        Reads only: a claim above it that has no note yet is `integrate`'s to settle. A
        note that does not verify (planted: no key signed it) is passed over, at most
        `_UNSIGNED_NOTES` of them; a signed one whose tree does not check out stops
        everything (exit 3), as does a log whose notes none verifies.
        """
        seqs = self.tlog.newest_note_seqs(_UNSIGNED_NOTES)
        for seq in reversed(seqs):
            signed = self.batches.get(seq)
            if signed is None:
                continue
            previous = self._signed(signed.batch.builds_on)
            if signed.batch.old_size != previous.head.size:
                raise UntrustedCheckpointError(
                    f"tlog batch {seq} starts at {signed.batch.old_size}, the batch it builds"
                    f" on ends at {previous.head.size}"
                )
            self._check_tree(signed.head, previous.head)
            return TrustedCheckpoint(seq, signed.head, signed.note, signed.batch.time)
        if seqs:
            raise UntrustedCheckpointError(
                f"forged_checkpoint: none of the newest {_UNSIGNED_NOTES} tlog notes verifies"
                " with the keyring; run `grantreview audit verify`"
            )
        return self._empty()

    # -- settling claims above the newest signed checkpoint -----------------------------

    def _claim_problem(  # noqa: PLR0911 - one return per reason a claim cannot be finished
        self, seq: int, raw: bytes, current: TrustedCheckpoint, now: datetime
    ) -> tuple[Batch | None, dict[str, bytes], str | None]:
        """The claim, its leaf hashes and None if it can be finished on `current`; else why not."""
        try:
            batch = parse_batch(raw)
        except BatchFormatError as error:
            return None, {}, str(error)
        if batch.seq != seq or batch.format != BATCH_FORMAT:
            return batch, {}, "not a /2 claim of its own seq"
        if self.tlog.note(seq) is not None:  # signed ones were taken by `_settle`
            return batch, {}, "a note no key signed sits at its seq"
        if batch.builds_on != current.seq or batch.old_size != current.head.size:
            return batch, {}, f"does not build on signed batch {current.seq}"
        if (current.time is not None and batch.time < current.time) or (
            batch.time > now + CLOCK_SKEW
        ):
            return batch, {}, "dated before the batch it builds on, or in the future"
        times: dict[str, datetime] = {}
        try:
            hashes = self.commits.verified(
                batch.commits, strict=True, known=self.log.written, times=times
            )
        except UntrustedCheckpointError as error:
            return batch, {}, str(error)
        if len(set(batch.commits)) != len(batch.commits) or self._taken(
            batch.commits, times, current.seq
        ):
            return batch, {}, "repeats a commit already in the tree"
        return batch, hashes, None

    def _taken(self, keys: Sequence[str], times: Mapping[str, datetime], below: int) -> set[str]:
        """Which of `keys` the signed batches up to `below` already hold.

        Searched from the earliest of the commits' own times (`times`; for the commits
        this process wrote, when it began writing them): O(batches since), never O(log).
        """
        moments = [times[key] for key in keys if key in times]
        if self.log.written_since is not None and any(key in self.log.written for key in keys):
            moments.append(self.log.written_since)
        if not moments:
            return set()
        return self.batches.held_since(keys, min(moments), below)

    def _settle(self, current: TrustedCheckpoint, now: datetime) -> _Settled:
        """Finish every claim above `current` that can be; skip the others once stale.

        The next seq is above every claim and every note present, a planted one included.
        """
        noted = self.tlog.newest_note_seq()
        next_seq = max(current.seq, -1 if noted is None else noted) + 1
        for seq, raw in self.tlog.claims_after(current.seq):
            next_seq = max(next_seq, seq + 1)
            signed = self.batches.get(seq)  # a rival finished it since `current` was read
            if signed is not None and signed.batch.builds_on == current.seq:
                self._check_tree(signed.head, current.head)
                current = TrustedCheckpoint(seq, signed.head, signed.note, signed.batch.time)
                continue
            batch, hashes, problem = self._claim_problem(seq, raw, current, now)
            if problem is None and batch is not None:
                try:
                    current = self._finish(batch, raw, hashes)
                    continue
                except UnsignedTileError as error:  # skipped once stale, like junk
                    problem = str(error)
            stale = batch is None or not (now - SUPERSEDE_AFTER < batch.time <= now + CLOCK_SKEW)
            _log.warning("tlog_claim_unfinishable", seq=seq, problem=problem, skipped=stale)
            if not stale:
                return _Settled(current, next_seq, blocked=True)
        return _Settled(current, next_seq)

    def _settle_waiting(self, now: datetime) -> _Settled:
        """Settle from the newest checkpoint; a fresh claim that blocks is waited for briefly.

        Under contention a rival's claim is often mid-write, or finished between two reads:
        a few short pauses let it land, so a writer integrates its own commits rather than
        deferring them to the hourly run. A stale claim is never waited for (`_settle`).
        """
        settled = self._settle(self.newest(), now)
        for pause in _BLOCKED_PAUSES:
            if not settled.blocked:
                break
            sleep(pause)
            settled = self._settle(self.newest(), now)
        return settled

    # -- writing a batch ------------------------------------------------------------------

    def _finish(self, batch: Batch, raw: bytes, hashes: Mapping[str, bytes]) -> TrustedCheckpoint:
        """Write a claimed batch's tiles and note; all deterministic, nothing per commit."""
        if self.signer is None:
            raise UntrustedCheckpointError("a read-only integrator cannot sign")
        written = integrate_tiles(
            batch.old_size, [hashes[key] for key in batch.commits], self.tlog.read_tile
        )
        tiles = [(tile_key(self.log.prefix, tile), data) for tile, data in written.tiles]
        self.tlog.put_exact_many(tiles)  # all of them before the note that vouches
        head = TreeHead(self.origin, written.size, written.root, (batch_line(batch.seq, raw),))
        text = sign_checkpoint(head, self.signer.private_key)
        note = self.tlog.put_note(batch.seq, text.encode())
        signed = open_signed(batch.seq, raw, note, self.keyring, self.origin)
        self.tlog.publish(note, signed.head.size)
        self.log.forget(batch.commits)
        return TrustedCheckpoint(batch.seq, signed.head, note, batch.time)

    # -- finding pending commits --------------------------------------------------------

    def _pending_own(self, heads: Mapping[StreamId, int], below: int) -> list[str]:
        """What this process wrote and each head a run names, unless a signed batch holds it.

        What this process wrote is known with its leaf hash (`EventLog.written`); a head
        it did not write (a retry that found its commit already stored) is read once for
        its time. A rival (a sweep) may have taken either since: the signed batches from
        then on are searched (`_taken`). Commits an earlier, crashed run left behind are
        the hourly sweep's, within the integration bound.
        """
        own = list(self.log.written)
        heads_keys = [commit_key(self.log.prefix, s, seq) for s, seq in heads.items() if seq >= 0]
        others = [key for key in heads_keys if key not in self.log.written]
        times: dict[str, datetime] = {}
        for key, raw in zip(others, self.log.store.get_many(others), strict=True):
            moment = _commit_time(raw)
            if moment is not None:
                times[key] = moment
        candidates = own + [key for key in others if key in times]
        taken = self._taken(candidates, times, below)
        self.log.forget(key for key in own if key in taken)  # a rival integrated them
        return [key for key in candidates if key not in taken]

    def pending(self, heads: Mapping[StreamId, int] | None, below: int | None = None) -> list[str]:
        """Commit keys not yet in the tree, in leaf order (sorted by key).

        `below`: the newest signed batch (default: read it). A sweep (`heads` None) takes
        the leaves from the signed batches themselves, never from the index.
        """
        newest = self.newest().seq if below is None else below
        if heads is not None:
            return sorted(self._pending_own(heads, newest))
        prefix = self.log.prefix
        listed = [
            k for k in self.log.store.list_keys(f"{prefix}streams/") if parse_commit_key(prefix, k)
        ]
        if self._all_leaves(listed, newest):
            return []
        leaves = {key for signed in self.batches.chain(newest) for key in signed.batch.commits}
        return sorted(k for k in listed if k not in leaves)

    def _all_leaves(self, listed: Sequence[str], newest: int) -> bool:
        """Whether every listed commit is a leaf, judged without reading the older batches.

        As many commits as leaves, the newest batch's among them: an idle hourly sweep then
        reads no batch but the newest, however long the log (else it reads them all).
        Leaves are distinct commits, never deleted (Object Lock), so equal counts mean every
        listed commit is a leaf. Were a leaf's commit removed while another is pending, the
        sweep would pass the pending one over: `audit verify` reports both (`not_in_tree`
        past the integration bound), as it reports any commit left out.
        """
        signed = self.batches.get(newest) if newest >= 0 else None
        size = 0 if signed is None else signed.head.size
        if len(listed) != size:
            return False
        return signed is None or set(signed.batch.commits) <= set(listed)

    # -- integrating ----------------------------------------------------------------------

    def _cutover(self) -> str | None:
        prefix = self.log.prefix
        return newest_key(
            self.log.store,
            f"{prefix}checkpoints/",
            accept=lambda key: parse_checkpoint_key(prefix, key) is not None,
        )

    def integrate(
        self,
        heads: Mapping[StreamId, int] | None,
        *,
        time: datetime,
        always_sign: bool = False,
        expected: Mapping[str, str] | None = None,
    ) -> TrustedCheckpoint:
        """Integrate pending commits (of `heads`' streams, or every stream when None).

        Signs a new checkpoint when anything was pending, or always with `always_sign`
        (the hourly run: "no activity" differs from "log stopped"). `expected` maps commit
        keys to the hash the run appended there: another commit at that key is left out.
        Returns the newest verified checkpoint.
        """
        if self.signer is None:
            raise UntrustedCheckpointError("a read-only integrator cannot sign")
        settled = self._settle_waiting(time)
        candidates: list[str] | None = None  # found once, and again only after a lost claim
        hashes: dict[str, bytes] = {}
        for _ in range(_ATTEMPTS):
            current = settled.current
            if settled.blocked:
                break
            if candidates is None:
                candidates = self.pending(heads, current.seq)
                hashes = self.commits.verified(
                    candidates, strict=False, known=self.log.written, expected=expected
                )
            keys = tuple(k for k in candidates if k in hashes)[:_MAX_BATCH]
            if not keys and not always_sign:
                return current
            batch = Batch(
                seq=settled.next_seq,
                prev=current.seq,
                old_size=current.head.size,
                commits=keys,
                time=time if current.time is None else max(time, current.time),
                sweep=heads is None and len(candidates) <= _MAX_BATCH,
                cutover=self._cutover() if current.seq < 0 else None,
            )
            raw = batch.to_bytes()
            if self.tlog.claim(batch.seq, raw):
                try:
                    current = self._finish(batch, raw, hashes)
                except UnsignedTileError as error:  # planted: defer, never stop the writer
                    _log.error("tlog_tile_planted", seq=batch.seq, problem=str(error))
                    break
                settled = _Settled(current, batch.seq + 1)
                if len(candidates) <= _MAX_BATCH:
                    return current  # computed from verified tiles just now: no re-read
                done = set(keys)  # the next batch takes the next of the same candidates
                candidates = [key for key in candidates if key not in done]
            else:  # another integrator won this seq: finish theirs if we can, go on top
                settled = self._settle_waiting(time)
                candidates = None  # theirs may hold some of ours: find what is still pending
            always_sign = False  # a fresh checkpoint was signed, by us or the winner
        # Never fail a user's command over contention or an unsigned claim: the next
        # integration (at the latest the hourly one, once the claim is stale) takes them.
        _log.warning("tlog_integration_deferred", size=settled.current.head.size)
        return settled.current


def _commit_time(raw: bytes | None) -> datetime | None:
    """A stored commit's own time, or None if it is missing or no commit (the audit's)."""
    if raw is None:
        return None
    try:
        return parse_commit(raw).time
    except DamagedDataError:
        return None
