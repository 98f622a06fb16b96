"""Verifying the checkpoint chain: gapless, each signed by a trusted key, each naming its prev."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemas.audit._verify_gaps import describe_gap, split_strays
from schemas.base.findings import Finding, FindingKind
from schemas.log.cumulative_checkpoint import (
    Checkpoint,
    CheckpointFormatError,
    Keyring,
    parse_checkpoint,
    parse_checkpoint_key,
    signature_problem,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["check_checkpoints"]


def _finding(seq: int | None, kind: FindingKind, detail: str, key: str | None) -> Finding:
    return Finding(program=None, jurisdiction=None, seq=seq, kind=kind, detail=detail, key=key)


def _parse(raw: bytes) -> Checkpoint:
    """Parse, reading bytes too deeply nested to validate as a format error."""
    try:
        return parse_checkpoint(raw)
    except RecursionError:  # parsed, yet too deep to validate: no signer nests so deep
        raise CheckpointFormatError("nested too deeply") from None


def _claims(objects: Mapping[str, bytes], by_seq: dict[int, str]) -> Callable[[int], bool]:
    """Whether the object at a checkpoint seq parses and states that seq."""

    def claims(seq: int) -> bool:
        try:
            return _parse(objects[by_seq[seq]]).seq == seq
        except CheckpointFormatError:
            return False

    return claims


def _stray_detail(raw: bytes) -> str:
    try:
        return f"past a gap and states seq {_parse(raw).seq}: planted"
    except CheckpointFormatError as error:
        return f"past a gap and not a checkpoint ({error}): planted"


def check_checkpoints(
    prefix: str, objects: Mapping[str, bytes], keyring: Keyring
) -> tuple[list[Finding], list[Checkpoint]]:
    """Walk back from the newest checkpoint: findings, and the checkpoints whose signature holds.

    Only checkpoints with a valid signature are returned: their heads are what the log is
    checked against. Their order is newest first.
    """
    findings: list[Finding] = []
    by_seq: dict[int, str] = {}
    for name in sorted(objects):
        parsed = parse_checkpoint_key(prefix, name)
        if parsed is None:
            findings.append(_finding(None, FindingKind.BAD_FORMAT, "not a checkpoint key", name))
        else:
            by_seq[parsed] = name
    chain, strays, gaps = split_strays(by_seq, _claims(objects, by_seq))
    # A stray is its own problem, once, by key: no gap below it, no chain through it.
    findings.extend(
        _finding(seq, FindingKind.STRAY, _stray_detail(objects[by_seq[seq]]), by_seq[seq])
        for seq in strays
    )
    gap_below = {last + 1: (first, last) for first, last in gaps}
    trusted: list[Checkpoint] = []
    newer: Checkpoint | None = None
    for seq in reversed(chain):  # the seqs present, never every seq up to the top
        key = by_seq[seq]
        try:
            checkpoint = _parse(objects[key])
        except CheckpointFormatError as error:
            findings.append(_finding(seq, FindingKind.BAD_FORMAT, str(error), key))
            checkpoint = None
        if checkpoint is not None:
            problem = _problem(seq, checkpoint, newer, keyring)
            if problem is not None:
                findings.append(_finding(seq, FindingKind.FORGED_CHECKPOINT, problem, key))
            if signature_problem(checkpoint, keyring) is None:
                trusted.append(checkpoint)
            # Only a checkpoint with no problem vouches for its predecessor: a replayed or
            # relinked one must not get the legitimate checkpoint below it labelled too.
            newer = checkpoint if problem is None else None
        else:
            newer = None
        if seq in gap_below:
            gap = gap_below[seq]
            findings.append(
                _finding(gap[0], FindingKind.MISSING, describe_gap(gap, "checkpoint"), None)
            )
            newer = None
    return findings, trusted


def _problem(
    seq: int, checkpoint: Checkpoint, newer: Checkpoint | None, keyring: Keyring
) -> str | None:
    """Why `checkpoint` (stored at `seq`, followed by `newer`) cannot be trusted, if it cannot."""
    signature = signature_problem(checkpoint, keyring)
    if signature is not None:
        return signature
    if checkpoint.seq != seq:
        return f"stored at seq {seq} but states seq {checkpoint.seq}"
    if seq == 0 and checkpoint.prev_signature is not None:
        return "the first checkpoint names a previous signature"
    if newer is not None and newer.prev_signature != checkpoint.signature:
        return f"checkpoint {seq + 1} does not name this checkpoint's signature as its prev"
    if newer is not None and newer.time < checkpoint.time:
        return f"checkpoint {seq + 1} is dated before this one"
    return None
