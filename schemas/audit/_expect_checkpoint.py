"""A checkpoint an auditor kept (`audit verify --expect-checkpoint`): the log must still hold it.

Deleting the newest checkpoints cannot be seen from the log alone, so the auditor keeps the
newest one elsewhere. Two forms (docs/log-format.md sections 5 and 5a):

- a cumulative checkpoint (logs before the cut-over): `SEQ:SIGNATURE`, its chain seq and
  its 128-hex-digit Ed25519 signature;
- a tlog checkpoint (after the cut-over): `SIZE:SIGNATURE`, the tree size the C2SP note
  states and the base64 on its signature line (key ID || signature), exactly as the note
  carries them, so any C2SP tool can check what was kept.

Pure: the callers pass what the one audit pass verified.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from schemas.base.findings import Finding, FindingKind
from schemas.tlog.note import NoteError, b64decode_strict

if TYPE_CHECKING:
    from collections.abc import Sequence

    from schemas.audit._verify_tlog import TlogCheck
    from schemas.log.cumulative_checkpoint import Checkpoint

__all__ = ["expect_cumulative", "expect_tlog", "is_tlog_signature", "parse_expectation"]

_HEX_SIGNATURE: Final = re.compile(r"[0-9a-fA-F]{128}")
TLOG_SIGNATURE_BYTES: Final = 4 + 64
"""A note's Ed25519 signature line: a 4-byte key ID, then the 64-byte signature."""


def is_tlog_signature(signature: str) -> bool:
    """Is this the base64 of a tlog note's signature line (not a cumulative hex signature)?"""
    try:
        return len(b64decode_strict(signature)) == TLOG_SIGNATURE_BYTES
    except NoteError:
        return False


def parse_expectation(value: str) -> tuple[int, str] | None:
    """`SEQ:SIGNATURE` in either form (hex lowercased), or None when it is neither."""
    seq, _, signature = value.partition(":")
    if not (seq.isdecimal() and seq.isascii()):
        return None
    if _HEX_SIGNATURE.fullmatch(signature):
        return int(seq), signature.lower()
    if is_tlog_signature(signature):
        return int(seq), signature
    return None


def _finding(kind: FindingKind, seq: int, detail: str) -> Finding:
    return Finding(program=None, jurisdiction=None, seq=seq, kind=kind, detail=detail)


def expect_cumulative(trusted: Sequence[Checkpoint], seq: int, signature: str) -> list[Finding]:
    """The kept cumulative checkpoint `seq` must be among the trusted ones, same signature.

    A log whose newest trusted checkpoint is older was rolled back (or the checkpoints were
    deleted): `truncated`; one whose checkpoint `seq` has another signature was rewritten.
    """
    newest = trusted[0] if trusted else None
    if newest is None or newest.seq < seq:
        held = "no trusted checkpoint" if newest is None else f"newest is seq {newest.seq}"
        detail = f"the auditor kept checkpoint seq {seq}, but the log's {held}: rolled back"
        return [_finding(FindingKind.TRUNCATED, seq, detail)]
    kept = next((checkpoint for checkpoint in trusted if checkpoint.seq == seq), None)
    if kept is None or kept.signature != signature.lower():
        detail = (
            "differs from the checkpoint the auditor kept (another signature): rewritten"
            if kept is not None
            else "the auditor kept this checkpoint; the log holds no trusted one at this seq"
        )
        return [_finding(FindingKind.MODIFIED, seq, detail)]
    return []


def expect_tlog(check: TlogCheck | None, size: int, signature: str) -> list[Finding]:
    """The kept tlog checkpoint of tree `size` must be among the verified ones, same signature.

    A newest verified tree smaller than the kept one is `rolled_back`; a verified checkpoint
    of that size with another signature, or none of that size, is `modified` (rewritten).
    """
    head = None if check is None else check.head
    if check is None or head is None or head.size < size:
        newest = "no verified tlog checkpoint" if head is None else f"newest is size {head.size}"
        detail = f"the auditor kept the tlog checkpoint of tree size {size}; the log's {newest}"
        return [_finding(FindingKind.ROLLED_BACK, size, f"{detail}: rolled back")]
    held = check.signatures.get(size, set())
    if signature not in held:
        detail = (
            "differs from the tlog checkpoint the auditor kept (another signature): rewritten"
            if held
            else "the auditor kept a tlog checkpoint of this tree size; the log holds none"
        )
        return [_finding(FindingKind.MODIFIED, size, detail)]
    return []
