"""Verifying the transparency log: batches, signed notes, tiles, leaves and the index.

Pure. Walks the batches in order: each note must verify with a key valid at its batch's
time, state its batch's size, equal the root the stored tiles give (else `tree_mismatch`)
and extend its predecessor (a consistency proof from the tiles, else
`inconsistent_checkpoint`). Every leaf must be an intact commit of the log exactly once,
its stored leaf hash SHA-256(0x00 || commit bytes); every index entry (older logs wrote
them; none since issue #21's lookup) must name its commit's leaf; every commit sealed
longer than `INTEGRATION_BOUND` before the newest signed batch must be a leaf (else
`not_in_tree`). A `/2` checkpoint signs its batch (an extension line with the claim's
hash); a claim a later signed batch skipped is `abandoned_batch` (docs/tlog.md).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from schemas.base.findings import Finding, FindingKind, stream_finding
from schemas.log.streams import parse_commit_key
from schemas.tlog.checkpoint import CheckpointError, TreeHead, open_checkpoint
from schemas.tlog.layout import (
    Batch,
    BatchFormatError,
    batch_folder,
    batch_line,
    checkpoint_folder,
    origin_prefix,
    parse_batch,
    parse_checkpoint_text_origin,
    parse_index_body,
    parse_sequence_key,
)
from schemas.tlog.merkle import (
    EMPTY_ROOT,
    ProofError,
    consistency_proof,
    tree_root,
    verify_consistency,
)
from schemas.tlog.note import NoteError, NoteVerifier, open_note
from schemas.tlog.tiles import TileError, parse_tile_path, tile_hash_reader

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from schemas.log.cumulative_checkpoint import Keyring
    from schemas.log.streams import StreamId
    from schemas.tlog.tiles import Tile

__all__ = ["INTEGRATION_BOUND", "PENDING_GRACE", "TlogCheck", "TlogObjects", "check_tlog"]

PENDING_GRACE: Final = timedelta(minutes=10)
"""Writers in flight: a commit may be sealed this long before the batch that takes it."""
INTEGRATION_BOUND: Final = timedelta(hours=1) + PENDING_GRACE
"""Every commit sealed this long before the newest signed batch must be a leaf: each
writing command integrates what it touched, the hourly run everything else."""


def _finding(kind: FindingKind, detail: str, key: str | None = None) -> Finding:
    return Finding(program=None, jurisdiction=None, seq=None, kind=kind, detail=detail, key=key)


@dataclass
class TlogObjects:
    """What was read of `{prefix}tlog/`: batches and notes by seq, tiles by path, index keys."""

    batches: dict[int, bytes] = field(default_factory=dict)
    notes: dict[int, bytes] = field(default_factory=dict)
    tiles: dict[Tile, bytes] = field(default_factory=dict)
    index: dict[str, bytes] = field(default_factory=dict)
    """Index entries by commit key (prefix included)."""
    stray: list[str] = field(default_factory=list)

    @property
    def indexed(self) -> set[str]:
        """The commit keys that have an index entry."""
        return set(self.index)

    @classmethod
    def gather(cls, prefix: str, objects: Mapping[str, bytes]) -> TlogObjects:
        """Sort stored objects by kind; a key that is none of them is `stray`."""
        found = cls()
        index_folder = f"{prefix}tlog/index/"
        for key, raw in objects.items():
            if key.startswith(index_folder):
                found.index[prefix + key.removeprefix(index_folder)] = raw
            elif (seq := parse_sequence_key(batch_folder(prefix), key)) is not None:
                found.batches[seq] = raw
            elif (seq := parse_sequence_key(checkpoint_folder(prefix), key)) is not None:
                found.notes[seq] = raw
            else:
                try:
                    found.tiles[parse_tile_path(key.removeprefix(f"{prefix}tlog/"))] = raw
                except TileError:
                    found.stray.append(key)
        return found


@dataclass
class TlogCheck:
    """The outcome: findings, the newest verified tree head and its batch's time."""

    findings: list[Finding] = field(default_factory=list)
    head: TreeHead | None = None
    time: datetime | None = None
    checkpoints: int = 0
    signature: str | None = None
    """The newest head's signature line payload, base64(key ID || signature), as kept."""
    key_fingerprint: str | None = None
    """The fingerprint of the keyring key that signed the newest head."""
    signatures: dict[int, set[str]] = field(default_factory=dict)
    """Every verified checkpoint's signature by tree size: what a kept one is checked against."""
    pending: int = 0
    """Commits of the selected streams that are not leaves yet (in flight or not_in_tree)."""


def _read_tile(tiles: Mapping[Tile, bytes]) -> Callable[[Tile], bytes]:
    def read(tile: Tile) -> bytes:
        data = tiles.get(tile)
        if data is None:
            raise TileError(f"tile {tile.path()} is missing")
        return data

    return read


@dataclass(frozen=True, slots=True)
class _Opened:
    """A verified checkpoint: its tree head, its log signature (base64) and the key's print."""

    head: TreeHead
    signature: str
    key_fingerprint: str


def _open(
    raw: bytes, claim: bytes, batch: Batch, keyring: Keyring, origin: str, *, cut_over: bool
) -> _Opened:
    if cut_over and not batch.signed:
        raise CheckpointError("a /1 batch after the cut-over to /2")
    keys = {
        NoteVerifier(origin, bytes.fromhex(k.public_key)): k.fingerprint
        for k in keyring.keys
        if k.covers(batch.time)
    }
    verifiers = list(keys)
    head = open_checkpoint(raw, verifiers, origin)
    if head.size != batch.size:
        raise CheckpointError(f"states size {head.size}, its batch {batch.size}")
    if batch.signed != (batch_line(batch.seq, claim) in head.extensions):
        raise CheckpointError("does not sign its batch" if batch.signed else "signs a /1 batch")
    signed = open_note(raw, verifiers).signatures[0]
    signer = next(v for v in verifiers if v.key_id == signed.key_id and v.name == signed.name)
    payload = base64.b64encode(signed.key_id + signed.signature).decode()
    return _Opened(head, payload, keys[signer])


def _check_one(
    seq: int, batch: Batch, head: TreeHead, previous: TreeHead, tiles: Mapping[Tile, bytes]
) -> list[Finding]:
    where = f"tlog checkpoint {seq}"
    if batch.old_size != previous.size:
        detail = f"{where}: batch starts at {batch.old_size}, the previous tree has {previous.size}"
        return [_finding(FindingKind.INCONSISTENT_CHECKPOINT, detail)]
    hash_at = tile_hash_reader(head.size, _read_tile(tiles))
    try:
        if tree_root(head.size, hash_at) != head.root:
            return [_finding(FindingKind.TREE_MISMATCH, f"{where}: the tiles give another root")]
        proof = (
            consistency_proof(previous.size, head.size, hash_at)
            if 0 < previous.size < head.size
            else []
        )
    except (TileError, ProofError) as error:
        return [_finding(FindingKind.TREE_MISMATCH, f"{where}: {error}")]
    if not verify_consistency(previous.size, head.size, previous.root, head.root, proof):
        detail = f"{where}: size {head.size} does not extend size {previous.size}"
        return [_finding(FindingKind.INCONSISTENT_CHECKPOINT, detail)]
    return []


def _check_leaves(
    prefix: str,
    leaves: list[str],
    tlog: TlogObjects,
    leaf_hashes: Mapping[str, bytes],
    *,
    selected: Callable[[StreamId], bool],
    head: TreeHead,
) -> list[Finding]:
    """Every leaf an intact commit of the log, once; its stored hash its bytes' leaf hash."""
    findings: list[Finding] = []
    hash_at = tile_hash_reader(head.size, _read_tile(tlog.tiles))
    seen: set[str] = set()
    for position, key in enumerate(leaves[: head.size]):
        parsed = parse_commit_key(prefix, key)
        if parsed is None:
            findings.append(
                _finding(FindingKind.TREE_MISMATCH, f"leaf {position} names no commit", key)
            )
            continue
        stream, seq = parsed
        if not selected(stream):
            continue
        problem = None
        if key in seen:
            problem = f"leaf {position} repeats a commit already in the tree"
        elif key not in leaf_hashes:
            problem = f"leaf {position} names a commit that is not in the log"
        elif hash_at(0, position) != leaf_hashes[key]:
            problem = (
                f"leaf {position}'s hash is not this commit's: changed after it was integrated"
            )
        seen.add(key)
        if problem is not None:
            findings.append(stream_finding(stream, seq, FindingKind.TREE_MISMATCH, problem, key))
    return findings


def _relative(key: str, written: str, prefix: str) -> str:
    """A leaf's commit key, written under the writers' prefix, as it is stored where audited."""
    return prefix + key.removeprefix(written) if key.startswith(written) else key


def _walk_chain(prefix: str, tlog: TlogObjects, keyring: Keyring, result: TlogCheck) -> list[str]:
    """Follow the signed batches in seq order; the leaves they add, as stored here.

    Claims without a note that a later signed batch skips are `abandoned_batch`; those
    above the newest signed batch are still being integrated (a stopped log is a
    witness's `--max-age` to notice).
    """
    noted = sorted(tlog.notes)
    origin = parse_checkpoint_text_origin(tlog.notes[noted[0]]) if noted else None
    previous, previous_seq = TreeHead(origin or "-", 0, EMPTY_ROOT), -1
    written = origin_prefix(origin or "")
    result.findings += [
        _finding(FindingKind.INCONSISTENT_CHECKPOINT, f"tlog checkpoint {seq} has no batch")
        for seq in noted
        if seq not in tlog.batches
    ]
    leaves: list[str] = []
    skipped: list[int] = []
    cut_over = False
    for seq in sorted(tlog.batches):
        raw, note = tlog.batches[seq], tlog.notes.get(seq)
        if note is None:
            skipped.append(seq)
            continue
        try:
            batch = parse_batch(raw)
            opened = _open(note, raw, batch, keyring, origin or "", cut_over=cut_over)
        except (BatchFormatError, CheckpointError, NoteError) as error:
            detail = f"tlog checkpoint {seq}: {error}"
            result.findings.append(_finding(FindingKind.FORGED_CHECKPOINT, detail))
            break
        cut_over = cut_over or batch.signed
        if batch.builds_on != previous_seq or (skipped and not batch.signed):
            detail = (
                f"tlog batch {seq} builds on batch {batch.builds_on}, the newest signed one"
                f" before it is {previous_seq} (a batch or note missing in the chain)"
            )
            result.findings.append(_finding(FindingKind.INCONSISTENT_CHECKPOINT, detail))
            break
        result.findings += [
            _finding(
                FindingKind.ABANDONED_BATCH,
                f"tlog batch {gone} was claimed, never finished, and skipped by batch {seq}",
            )
            for gone in skipped
        ]
        skipped = []
        head = opened.head
        problems = _check_one(seq, batch, head, previous, tlog.tiles)
        result.findings.extend(problems)
        if problems:
            break
        leaves.extend(_relative(key, written, prefix) for key in batch.commits)
        previous, previous_seq, result.head, result.time = head, seq, head, batch.time
        result.checkpoints += 1
        result.signature, result.key_fingerprint = opened.signature, opened.key_fingerprint
        result.signatures.setdefault(head.size, set()).add(opened.signature)
    return leaves


def _check_index(prefix: str, tlog: TlogObjects, leaves: list[str], size: int) -> list[Finding]:
    """Every index entry must name its commit's leaf: it is a hint receipts and writers use."""
    findings: list[Finding] = []
    for key, raw in sorted(tlog.index.items()):
        try:
            leaf, _ = parse_index_body(raw)
        except BatchFormatError:
            leaf = -1
        if not 0 <= leaf < size or leaves[leaf] != key:
            detail = f"its index entry names leaf {leaf}, which is not this commit"
            parsed = parse_commit_key(prefix, key)
            findings.append(
                _finding(FindingKind.TREE_MISMATCH, detail, key)
                if parsed is None
                else stream_finding(parsed[0], parsed[1], FindingKind.TREE_MISMATCH, detail, key)
            )
    return findings


def check_tlog(
    prefix: str,
    tlog: TlogObjects,
    leaf_hashes: Mapping[str, bytes],
    commit_times: Mapping[str, datetime],
    keyring: Keyring,
    *,
    selected: Callable[[StreamId], bool] = lambda _: True,
) -> TlogCheck:
    """Check the transparency log against the commits read (leaf hash and time by key)."""
    result = TlogCheck(
        findings=[_finding(FindingKind.BAD_FORMAT, "not a tlog object", k) for k in tlog.stray]
    )
    if not tlog.batches:
        return result
    leaves = _walk_chain(prefix, tlog, keyring, result)
    if result.head is None or result.time is None:
        return result
    result.findings.extend(
        _check_leaves(prefix, leaves, tlog, leaf_hashes, selected=selected, head=result.head)
    )
    result.findings.extend(_check_index(prefix, tlog, leaves, result.head.size))
    _not_in_tree(
        prefix,
        set(leaves[: result.head.size]),
        leaf_hashes,
        commit_times,
        result,
        selected=selected,
    )
    return result


def _not_in_tree(
    prefix: str,
    in_tree: set[str],
    leaf_hashes: Mapping[str, bytes],
    commit_times: Mapping[str, datetime],
    result: TlogCheck,
    *,
    selected: Callable[[StreamId], bool],
) -> None:
    """Count pending commits; those sealed well before the newest signed batch are findings.

    Well before: `INTEGRATION_BOUND`, whatever any batch's flags say, sweep or not.
    """
    if result.time is None:
        return
    cutoff = result.time - INTEGRATION_BOUND
    for key in sorted(set(leaf_hashes) - in_tree):
        parsed = parse_commit_key(prefix, key)
        if parsed is None or not selected(parsed[0]):
            continue
        result.pending += 1
        if commit_times[key] < cutoff:
            detail = (
                "sealed more than the integration bound before the newest tlog checkpoint"
                " but not a leaf of its tree"
            )
            result.findings.append(
                stream_finding(parsed[0], parsed[1], FindingKind.NOT_IN_TREE, detail, key)
            )
