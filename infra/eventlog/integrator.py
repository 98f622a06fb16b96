"""The integrator: adds new commits to the Merkle tree and signs the next C2SP checkpoint.

Writers only append commits. Integration, at the end of every run that appended, hourly,
and on `grantreview checkpoint`, (1) verifies the newest checkpoint (signature by a key
valid at its batch's time, the tiles' root, consistency with its predecessor), finishing
it first if its integrator died after the claim; (2) finds pending commits (the streams a
run touched, walked back to their last integrated commit; or, in a sweep, every commit
key missing from the index); (3) verifies each (intact, in place, signed by a trusted
writer) and claims the next batch put-if-absent; (4) writes tiles, index entries and the
signed note. A loser of the claim re-reads, finishes the winner's batch and tries again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from infra.errors import UntrustedCheckpointError
from infra.eventlog.listing import newest_key
from infra.eventlog.tlog_store import TlogStore
from infra.platform.logging import get_logger
from schemas.log.commit import (
    MAX_COMMIT_BYTES,
    Commit,
    CommitFormatError,
    commit_hash,
    parse_commit,
)
from schemas.log.commit_signature import commit_signature_problem
from schemas.log.cumulative_checkpoint import parse_checkpoint_key
from schemas.log.legacy_commits import attested_hashes, is_legacy
from schemas.log.streams import commit_key, parse_commit_key
from schemas.tlog.checkpoint import CheckpointError, TreeHead, open_checkpoint, sign_checkpoint
from schemas.tlog.layout import Batch, index_body, index_key, tile_key
from schemas.tlog.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    leaf_hash,
    tree_root,
    verify_consistency,
)
from schemas.tlog.note import NoteError, NoteVerifier
from schemas.tlog.tiles import integrate_tiles, tile_hash_reader

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from infra.eventlog.log import EventLog
    from schemas.log.cumulative_checkpoint import Keyring, Signer
    from schemas.log.streams import StreamId

__all__ = ["Integrator", "TrustedCheckpoint"]

_ATTEMPTS: Final = 16
_MAX_BATCH: Final = 10_000
"""Leaves per batch: a first sweep of an old log is several batches, each claim < 1 MB."""
_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TrustedCheckpoint:
    """A verified checkpoint: its batch seq, tree head and the signed note as stored."""

    seq: int
    head: TreeHead
    note: bytes
    time: datetime | None


def _verifiers(keyring: Keyring, origin: str, moment: datetime) -> list[NoteVerifier]:
    """The checkpoint keys valid at `moment`, named by the origin as the spec advises."""
    return [
        NoteVerifier(origin, bytes.fromhex(key.public_key))
        for key in keyring.keys
        if key.covers(moment)
    ]


def _intact(raw: bytes | None) -> Commit | None:
    """The commit `raw` holds if it parses and matches its own hash, else None."""
    if raw is None:
        return None
    try:
        commit = parse_commit(raw)
        return commit if commit_hash(json.loads(raw)) == commit.hash else None
    except CommitFormatError:
        return None


class Integrator:
    """Integrates one log's commits into its tree; signs with the log's checkpoint key.

    Without a signer it only reads: `newest` then falls back to the newest finished
    checkpoint (what receipts and auditors need, with read-only credentials).
    """

    def __init__(
        self, log: EventLog, *, origin: str, signer: Signer | None, keyring: Keyring
    ) -> None:
        self.log = log
        self.origin = origin
        self.signer = signer
        self.keyring = keyring
        self.tlog = TlogStore(log.store, log.prefix)
        self._legacy: dict[str, frozenset[str]] = {}

    def verifiers_any(self) -> list[NoteVerifier]:
        """Every checkpoint key of the keyring, whatever its window (a stored, seen note)."""
        return [NoteVerifier(self.origin, bytes.fromhex(k.public_key)) for k in self.keyring.keys]

    def verifiers(self, moment: datetime) -> list[NoteVerifier]:
        """Who may sign a checkpoint whose batch is stamped `moment`."""
        return _verifiers(self.keyring, self.origin, moment)

    # -- reading and verifying the newest checkpoint ------------------------------------

    def _empty(self) -> TrustedCheckpoint:
        return TrustedCheckpoint(-1, TreeHead(self.origin, 0, EMPTY_ROOT), b"", None)

    def _open(self, seq: int, note: bytes, batch: Batch) -> TreeHead:
        try:
            head = open_checkpoint(note, self.verifiers(batch.time), self.origin)
        except (CheckpointError, NoteError) as error:
            raise UntrustedCheckpointError(f"tlog checkpoint {seq}: {error}") from None
        if head.size != batch.size:
            raise UntrustedCheckpointError(
                f"tlog checkpoint {seq} states size {head.size}, its batch {batch.size}"
            )
        return head

    def _predecessor(self, seq: int) -> TrustedCheckpoint:
        """Checkpoint seq - 1 as stored (its signature checked; it was verified in its turn)."""
        if seq == 0:
            return self._empty()
        batch, note = self.tlog.batch(seq - 1), self.tlog.note(seq - 1)
        if batch is None or note is None:
            raise UntrustedCheckpointError(f"tlog batch {seq - 1} or its checkpoint is missing")
        return TrustedCheckpoint(seq - 1, self._open(seq - 1, note, batch), note, batch.time)

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
        """The newest checkpoint, finished if its integrator died, and verified."""
        seq = self.tlog.newest_seq()
        return self._empty() if seq is None else self._verified(seq)

    def _verified(self, seq: int) -> TrustedCheckpoint:
        """Checkpoint `seq` verified against its tiles and predecessor (finished if need be)."""
        batch = self.tlog.batch(seq)
        if batch is None:
            raise UntrustedCheckpointError(f"tlog batch {seq} was listed but cannot be read")
        previous = self._predecessor(seq)
        if batch.old_size != previous.head.size:
            raise UntrustedCheckpointError(
                f"tlog batch {seq} starts at {batch.old_size}, its predecessor ends at "
                f"{previous.head.size}"
            )
        note = self.tlog.note(seq)
        if note is None and self.signer is None:
            return previous if seq == 0 else self._verified(seq - 1)
        if note is None:
            note = self._finish(batch, self._verified_commits(batch.commits, strict=True))
        head = self._open(seq, note, batch)
        self._check_tree(head, previous.head)
        return TrustedCheckpoint(seq, head, note, batch.time)

    # -- commits ------------------------------------------------------------------------

    def _commit_problem(self, key: str, raw: bytes | None) -> str | None:
        parsed = parse_commit_key(self.log.prefix, key)
        if raw is None or parsed is None:
            return "missing"
        try:
            commit = parse_commit(raw)
            intact = commit_hash(json.loads(raw)) == commit.hash
        except CommitFormatError as error:
            return f"malformed: {error}"
        if not intact or commit.stream != parsed[0].name or commit.seq != parsed[1]:
            return "not intact or not stored at its own key"
        vouched = self._legacy_vouched(parsed[0]) if is_legacy(commit) else frozenset()
        problem = commit_signature_problem(commit, self.keyring, vouched)
        return None if problem is None else f"{problem[0].value}: {problem[1]}"

    def _legacy_vouched(self, stream: StreamId) -> frozenset[str]:
        """The legacy `/1` commits of `stream` a signed cumulative checkpoint attests.

        Read once per stream and integrator (a legacy stream is integrated once, at the
        first sweep): its intact commits, walked back from the attested head.
        """
        if stream.name not in self._legacy:
            head = self.log.attested_heads().get(stream.name)
            vouched: frozenset[str] = frozenset()
            if head is not None:
                keys = list(self.log.store.list_keys(stream.key_prefix(self.log.prefix)))
                intact = [
                    commit
                    for raw in self.log.store.get_many(keys, limit=MAX_COMMIT_BYTES)
                    if (commit := _intact(raw)) is not None and commit.stream == stream.name
                ]
                vouched = attested_hashes(intact, head)
            self._legacy[stream.name] = vouched
        return self._legacy[stream.name]

    def _verified_commits(self, keys: tuple[str, ...], *, strict: bool) -> dict[str, bytes]:
        """The bytes of every commit that verifies; strict: any other is refused (exit 3)."""
        good: dict[str, bytes] = {}
        for key, raw in zip(keys, self.log.store.get_many(list(keys)), strict=True):
            problem = self._commit_problem(key, raw)
            if problem is None and raw is not None:
                good[key] = raw
            elif strict:
                raise UntrustedCheckpointError(f"tlog batch names {key}: {problem}")
            else:  # left out of the tree: `audit verify` reports it (not_in_tree and why)
                _log.warning("tlog_commit_untrusted", key=key, problem=problem)
        return good

    def _finish(self, batch: Batch, bodies: Mapping[str, bytes]) -> bytes:
        """Write a claimed batch's tiles, index entries and checkpoint; all deterministic."""
        hashes = [leaf_hash(bodies[key]) for key in batch.commits]
        written = integrate_tiles(batch.old_size, hashes, self.tlog.read_tile)
        objects = [(tile_key(self.log.prefix, tile), data) for tile, data in written.tiles]
        objects += [
            (index_key(self.log.prefix, key), index_body(batch.old_size + offset, batch.seq))
            for offset, key in enumerate(batch.commits)
        ]
        self.tlog.put_exact_many(objects)  # all of them before the note that vouches for them
        if self.signer is None:
            raise UntrustedCheckpointError("a read-only integrator cannot sign")
        text = sign_checkpoint(
            TreeHead(self.origin, written.size, written.root), self.signer.private_key
        )
        return self.tlog.put_note(batch.seq, text.encode())

    # -- finding pending commits --------------------------------------------------------

    def _pending_in(self, heads: Mapping[StreamId, int]) -> list[str]:
        """Each stream's commits after its last integrated one, walking back from its head.

        One step back per round for every stream still walking, each round's index lookups
        fetched concurrently: a run that appended to 20,000 streams costs two rounds, not
        40,000 lookups in a row.
        """
        keys: list[str] = []
        walking = {stream: seq for stream, seq in heads.items() if seq >= 0}
        while walking:
            probes = [
                (stream, commit_key(self.log.prefix, stream, seq))
                for stream, seq in walking.items()
            ]
            found = self.tlog.leaf_indexes([key for _, key in probes])
            unindexed = [
                (stream, key)
                for (stream, key), index in zip(probes, found, strict=True)
                if index is None
            ]
            keys += [key for _, key in unindexed]
            walking = {
                stream: walking[stream] - 1 for stream, _ in unindexed if walking[stream] > 0
            }
        return keys

    def pending(self, heads: Mapping[StreamId, int] | None) -> list[str]:
        """Commit keys not yet in the tree, in leaf order (sorted by key)."""
        if heads is not None:
            return sorted(self._pending_in(heads))
        indexed = self.tlog.indexed_keys()
        listed = self.log.store.list_keys(f"{self.log.prefix}streams/")
        return sorted(
            k for k in listed if k not in indexed and parse_commit_key(self.log.prefix, k)
        )

    # -- integrating ----------------------------------------------------------------------

    def _cutover(self) -> str | None:
        prefix = self.log.prefix
        return newest_key(
            self.log.store,
            f"{prefix}checkpoints/",
            accept=lambda key: parse_checkpoint_key(prefix, key) is not None,
        )

    def integrate(
        self, heads: Mapping[StreamId, int] | None, *, time: datetime, always_sign: bool = False
    ) -> TrustedCheckpoint:
        """Integrate pending commits (of `heads`' streams, or every stream when None).

        Signs a new checkpoint when anything was pending, or always with `always_sign`
        (the hourly run: "no activity" differs from "log stopped"). Returns the newest
        verified checkpoint.
        """
        current = self.newest()
        losses = 0
        candidates: list[str] | None = None  # found once, and again only after a lost claim
        bodies: dict[str, bytes] = {}
        while losses < _ATTEMPTS:
            if candidates is None:
                candidates = self.pending(heads)
                bodies = self._verified_commits(tuple(candidates), strict=False)
            keys = tuple(k for k in candidates if k in bodies)[:_MAX_BATCH]
            if not keys and not always_sign:
                return current
            batch = Batch(
                seq=current.seq + 1,
                old_size=current.head.size,
                commits=keys,
                time=time if current.time is None else max(time, current.time),
                sweep=heads is None and len(candidates) <= _MAX_BATCH,
                cutover=self._cutover() if current.seq < 0 else None,
            )
            if self.tlog.claim(batch):
                note = self._finish(batch, bodies)
                head = self._open(batch.seq, note, batch)
                current = TrustedCheckpoint(batch.seq, head, note, batch.time)
                if len(candidates) <= _MAX_BATCH:
                    return current  # computed from verified tiles just now: no re-read
                done = set(keys)  # the next batch takes the next of the same candidates
                candidates = [key for key in candidates if key not in done]
            else:  # another integrator won this seq: finish and verify theirs, go on top
                losses += 1
                current = self.newest()
                candidates = None  # theirs may hold some of ours: find what is still pending
            always_sign = False  # a fresh checkpoint was signed, by us or the winner
        # Never fail a user's command over contention: the next integration takes them.
        _log.warning("tlog_integration_deferred", losses=losses, size=current.head.size)
        return current
