"""Signed checkpoints: the cumulative ones (before the cut-over) and the tlog entry point.

Checkpoints are a gapless put-if-absent sequence under `{prefix}checkpoints/`; each states
every stream head it covers and the previous checkpoint's signature (docs/log-format.md).
A writer never builds on a checkpoint it cannot trust: `check_before_writing` is every
writing command's and flow's first step, and `write_checkpoint` checks again before it
chains (issue #13: an insider with S3 write access can plant objects, not our signature).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.errors import ContentionError, UntrustedCheckpointError
from infra.eventlog.listing import newest_key
from infra.platform.logging import get_logger
from schemas.log.commit import MAX_COMMIT_BYTES
from schemas.log.commit_signature import commit_signature_problem, signer_keyring
from schemas.log.cumulative_checkpoint import (
    MAX_CHECKPOINT_BYTES,
    Checkpoint,
    CheckpointFormatError,
    Signer,
    checkpoint_key,
    parse_checkpoint,
    parse_checkpoint_key,
    seal_checkpoint,
    successor_problem,
)
from schemas.log.legacy_commits import attested_heads
from schemas.log.soundness import CommitProblem, sound_commit
from schemas.log.streams import StreamId, parse_commit_key

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from infra.eventlog.log import EventLog
    from infra.eventlog.store import ObjectStore
    from schemas.log.cumulative_checkpoint import Keyring
    from schemas.log.legacy_commits import AttestedHead

__all__ = [
    "CheckpointConflictError",
    "CorruptCheckpointError",
    "UntrustedCheckpointError",
    "latest_checkpoint",
    "legacy_attestations",
    "own_keyring",
    "trusted_latest_checkpoint",
    "write_checkpoint",
]

_ATTEMPTS = 16
_log = get_logger(__name__)
Heads = dict[str, tuple[int, str]]


class CorruptCheckpointError(UntrustedCheckpointError):
    """The newest checkpoint does not parse: writers stop; auditors run `audit verify`."""


class CheckpointConflictError(ContentionError):
    """Other writers kept winning the next checkpoint seq; nothing was written."""


def latest_checkpoint(store: ObjectStore, prefix: str) -> Checkpoint | None:
    """The newest checkpoint (highest seq), or None before the first one."""
    newest = newest_key(
        store,
        f"{prefix}checkpoints/",
        accept=lambda key: parse_checkpoint_key(prefix, key) is not None,
    )
    if newest is None:
        return None
    raw = store.get(newest, limit=MAX_CHECKPOINT_BYTES)
    if raw is None:
        raise CorruptCheckpointError(f"{newest} was listed but cannot be read")
    try:
        return parse_checkpoint(raw)
    except CheckpointFormatError as error:
        raise CorruptCheckpointError(f"{newest}: {error}; run `grantreview audit verify`") from None


def _newest_two(store: ObjectStore, prefix: str) -> list[tuple[int, str]]:
    """The (seq, key) of the two highest checkpoint keys, newest first; other keys ignored."""
    top: list[tuple[int, str]] = []
    for key in store.list_keys(f"{prefix}checkpoints/"):
        seq = parse_checkpoint_key(prefix, key)
        if seq is not None:
            top = [(seq, key), *top[:1]]
    return top


def _parsed(key: str, raw: bytes | None) -> Checkpoint:
    if raw is None:
        raise CorruptCheckpointError(f"{key} was listed but cannot be read")
    try:
        return parse_checkpoint(raw)
    except (CheckpointFormatError, RecursionError) as error:
        raise CorruptCheckpointError(
            f"{key}: bad_format: {error}; writes refused, run `grantreview audit verify`"
        ) from None


def trusted_latest_checkpoint(
    store: ObjectStore, prefix: str, keyring: Keyring | None
) -> Checkpoint | None:
    """The newest checkpoint once it is shown safe to build on, or None before the first.

    Reads the two newest (one listing, two GETs): the newest must be stored at its own
    seq, signed by a key of `keyring` valid at its time, and chained to its predecessor
    with no head moved back (`successor_problem`). Anything else raises
    `UntrustedCheckpointError` naming the finding, so nothing is appended onto it.
    """
    newest = _newest_two(store, prefix)
    if not newest:
        return None
    seq, key = newest[0]
    if seq > 0 and (len(newest) < 2 or newest[1][0] != seq - 1):  # noqa: PLR2004 - a pair
        raise UntrustedCheckpointError(
            f"{key}: forged_checkpoint: checkpoint {seq - 1} is missing, so this one chains to"
            " nothing; writes refused, run `grantreview audit verify`"
        )
    bodies = store.get_many([k for _, k in newest], limit=MAX_CHECKPOINT_BYTES)
    checkpoint = _parsed(key, bodies[0])
    previous = _parsed(newest[1][1], bodies[1]) if seq > 0 else None
    problem = successor_problem(seq, checkpoint, previous, keyring)
    if problem is not None:
        raise UntrustedCheckpointError(
            f"{key}: forged_checkpoint: {problem}; writes refused, run `grantreview audit verify`"
        )
    return checkpoint


def legacy_attestations(
    store: ObjectStore, prefix: str, keyring: Keyring
) -> dict[str, AttestedHead]:
    """The heads the newest cumulative checkpoint vouches for: one listing, two GETs.

    The newest suffices (schemas/log/legacy_commits.py:attested_heads says why); one that
    cannot be trusted raises `UntrustedCheckpointError`, as `check_before_writing` does.
    """
    newest = trusted_latest_checkpoint(store, prefix, keyring)
    return attested_heads([] if newest is None else [newest])


def own_keyring(signer: Signer) -> Keyring:
    """A keyring of the signer's public key alone, valid at any time."""
    return signer_keyring(signer)


def _merge(base: Heads, update: Mapping[str, tuple[int, str]]) -> Heads:
    """Heads moved forward by `update`; a head never moves back, a signed one is never replaced."""
    merged = dict(base)
    for name, head in update.items():
        if name not in merged or head[0] > merged[name][0]:
            merged[name] = head
    return merged


def _head_hash(
    stream: StreamId,
    seq: int,
    raw: bytes | None,
    keyring: Keyring | None,
    attested: Mapping[str, AttestedHead],
) -> str | None:
    """The hash of a stream's head commit if sound, in place and (with a keyring) trusted.

    Checking the head suffices: a writer never appends after a commit it cannot trust, so a
    trusted head means every commit under it was checked by the writer that chained onto it.
    A legacy `/1` head passes only if it is the very head a signed checkpoint attests.
    """
    if raw is None:
        return None
    commit = sound_commit(raw, stream, seq)
    if isinstance(commit, CommitProblem):
        return None
    head = attested.get(stream.name)
    vouched = (commit.hash,) if head is not None and head[:2] == (seq, commit.hash) else ()
    if keyring is not None and commit_signature_problem(commit, keyring, vouched) is not None:
        _log.warning("checkpoint_head_untrusted", stream=stream.name, seq=seq)
        return None
    return commit.hash


def _sweep(log: EventLog, base: Heads) -> Heads:
    """Every stream's head: one listing, and concurrent GETs of the heads that moved."""
    tops: dict[StreamId, tuple[int, str]] = {}
    for key in log.store.list_keys(f"{log.prefix}streams/"):
        parsed = parse_commit_key(log.prefix, key)
        if parsed is not None:
            tops[parsed[0]] = (parsed[1], key)
    moved = [
        (stream, seq, key)
        for stream, (seq, key) in tops.items()
        if stream.name not in base or base[stream.name][0] < seq
    ]
    bodies = log.store.get_many([key for _, _, key in moved], limit=MAX_COMMIT_BYTES)
    swept: Heads = {}
    attested = log.attested_heads() if log.keys.keyring is not None and moved else {}
    for (stream, seq, _), raw in zip(moved, bodies, strict=True):
        digest = _head_hash(stream, seq, raw, log.keys.keyring, attested)
        if digest is not None:  # a damaged head is left to `audit verify`, never signed
            swept[stream.name] = (seq, digest)
    return swept


def write_checkpoint(
    log: EventLog,
    signer: Signer,
    *,
    time: datetime,
    heads: Mapping[StreamId, tuple[int, str]] | None = None,
    keyring: Keyring | None = None,
) -> str | None:
    """Sign the next checkpoint; the key written, or None when no head moved since the latest.

    With `heads` (what a flow run appended) they are merged into the latest checkpoint's
    heads without listing the log; with None every stream's head is swept (the hourly run).
    The latest is checked first (`trusted_latest_checkpoint`, with `keyring`, else the
    log's keyring, else the signer's own key): a forged, corrupt or replayed one raises and
    is never re-signed.
    """
    update = None if heads is None else {stream.name: head for stream, head in heads.items()}
    trust = keyring or log.keys.keyring or own_keyring(signer)
    for _ in range(_ATTEMPTS):
        latest = trusted_latest_checkpoint(log.store, log.prefix, trust)
        base: Heads = (
            {} if latest is None else {n: (h.seq, h.hash) for n, h in latest.heads.items()}
        )
        merged = _merge(base, _sweep(log, base) if update is None else update)
        if latest is not None and merged == base:
            return None
        checkpoint = seal_checkpoint(
            seq=0 if latest is None else latest.seq + 1,
            time=time if latest is None else max(time, latest.time),
            heads=merged,
            prev_signature=None if latest is None else latest.signature,
            signer=signer,
        )
        key = checkpoint_key(log.prefix, checkpoint.seq)
        if log.store.put_if_absent(key, checkpoint.to_bytes()):
            return key
    raise CheckpointConflictError("too many concurrent checkpoint writers; try again")
