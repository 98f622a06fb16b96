"""Verifying the checkpoint chain: gapless, each signed by a trusted key, each naming its prev."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemas._findings import Finding, FindingKind
from schemas.checkpoint import (
    Checkpoint,
    CheckpointFormatError,
    Keyring,
    parse_checkpoint,
    parse_checkpoint_key,
    signature_problem,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["check_checkpoints"]


def _finding(seq: int | None, kind: FindingKind, detail: str, key: str | None) -> Finding:
    return Finding(program=None, jurisdiction=None, seq=seq, kind=kind, detail=detail, key=key)


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
    trusted: list[Checkpoint] = []
    newer: Checkpoint | None = None
    for seq in range(max(by_seq, default=-1), -1, -1):
        key = by_seq.get(seq)
        if key is None:
            findings.append(_finding(seq, FindingKind.MISSING, "no checkpoint at this seq", None))
            newer = None
            continue
        try:
            checkpoint = parse_checkpoint(objects[key])
        except CheckpointFormatError as error:
            findings.append(_finding(seq, FindingKind.BAD_FORMAT, str(error), key))
            newer = None
            continue
        except RecursionError:  # parsed, yet too deep to validate: no signer nests so deep
            findings.append(_finding(seq, FindingKind.BAD_FORMAT, "nested too deeply", key))
            newer = None
            continue
        problem = _problem(seq, checkpoint, newer, keyring)
        if problem is not None:
            findings.append(_finding(seq, FindingKind.FORGED_CHECKPOINT, problem, key))
        newer = None
        if signature_problem(checkpoint, keyring) is None:
            trusted.append(checkpoint)
            newer = checkpoint  # an untrusted checkpoint's prev link proves nothing
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
