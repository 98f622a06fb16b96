"""Batches as the log's key vouches for them: a claim counts only once its note verifies.

A claim is an unsigned object anyone with write access can plant; its note (C2SP
checkpoint) signs it, for `/2` claims through the extension line naming the claim's hash
(docs/tlog.md). Everything that asks "is this commit a leaf, and where?" goes through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from infra.errors import UntrustedCheckpointError
from infra.platform.logging import get_logger
from schemas.tlog.checkpoint import CheckpointError, TreeHead, open_checkpoint
from schemas.tlog.layout import (
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
    from collections.abc import Sequence
    from datetime import datetime

    from infra.eventlog.tlog_store import TlogStore
    from schemas.log.cumulative_checkpoint import Keyring

__all__ = ["SignedBatch", "SignedBatches", "open_signed"]

_log = get_logger(__name__)


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
    """Signed batches of one log, read once each; index entries checked against them."""

    def __init__(self, tlog: TlogStore, keyring: Keyring, origin: str) -> None:
        self.tlog = tlog
        self.keyring = keyring
        self.origin = origin
        self._cache: dict[int, SignedBatch | None] = {}

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

    def leaf_of(self, commit_key: str, below: int) -> int | None:
        """The commit's leaf in the signed batches up to `below`, or None if it is none.

        Its index entry is tried first (one GET and the batch it names); an entry the
        signed batch contradicts is damage `audit verify` names, and the signed batches
        are then searched, newest first, so a planted entry hides no commit.
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
        if raw is None:
            return None
        _log.warning("tlog_index_entry_contradicted", key=commit_key, leaf=leaf, batch=seq)
        for signed in reversed(self.chain(below)):
            if commit_key in signed.batch.commits:
                return signed.batch.old_size + signed.batch.commits.index(commit_key)
        return None

    def integrated(self, commit_keys: Sequence[str], below: int) -> list[bool]:
        """Whether each commit is a leaf of a signed batch up to `below`, by its index entry.

        The entry is only a hint: it counts when the signed batch it names holds this very
        key at this very leaf; a planted or rewritten entry is as good as none.
        """
        raws = self.tlog.store.get_many([index_key(self.tlog.prefix, k) for k in commit_keys])
        entries: list[tuple[int, int] | None] = []
        for raw in raws:
            try:
                entries.append(None if raw is None else parse_index_body(raw))
            except BatchFormatError:
                entries.append(None)
        self.load([e[1] for e in entries if e is not None and 0 <= e[1] <= below])
        return [
            entry is not None and self._holds(entry[1], entry[0], key, below)
            for key, entry in zip(commit_keys, entries, strict=True)
        ]

    def _holds(self, seq: int, leaf: int, key: str, below: int) -> bool:
        signed = self._cache.get(seq) if 0 <= seq <= below else None
        if signed is None:
            return False
        offset = leaf - signed.batch.old_size
        return 0 <= offset < len(signed.batch.commits) and signed.batch.commits[offset] == key
