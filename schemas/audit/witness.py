"""What a witness concludes from the checkpoint it saw last and the log's newest one.

Pure. A log may only grow: a newest checkpoint with a lower seq or a smaller tree than
one the witness saw is `rolled_back`; one whose tree does not extend the seen tree (a
consistency proof, RFC 9162 §2.1.4.2) is `inconsistent_checkpoint`. Either way the
witness signs nothing (C2SP tlog-cosignature: a cosigner vouches for consistency).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemas.base.findings import Finding, FindingKind
from schemas.tlog.merkle import verify_consistency

if TYPE_CHECKING:
    from collections.abc import Sequence

    from schemas.tlog.checkpoint import TreeHead

__all__ = ["witness_findings"]


def _finding(kind: FindingKind, detail: str) -> Finding:
    return Finding(program=None, jurisdiction=None, seq=None, kind=kind, detail=detail)


def witness_findings(
    seen: tuple[int, TreeHead] | None, newest: tuple[int, TreeHead], proof: Sequence[bytes]
) -> list[Finding]:
    """Findings for the newest (seq, head) against the seen one; `proof` from seen to newest."""
    if seen is None:
        return []
    (seen_seq, old), (new_seq, new) = seen, newest
    if new.origin != old.origin:
        detail = f"the log's origin is {new.origin!r}, the witness saw {old.origin!r}"
        return [_finding(FindingKind.INCONSISTENT_CHECKPOINT, detail)]
    if new_seq < seen_seq or new.size < old.size:
        detail = (
            f"newest tlog checkpoint is {new_seq} (size {new.size}); this witness saw "
            f"{seen_seq} (size {old.size}): checkpoints or commits were removed"
        )
        return [_finding(FindingKind.ROLLED_BACK, detail)]
    if not verify_consistency(old.size, new.size, old.root, new.root, proof):
        detail = f"size {new.size} does not extend the size {old.size} this witness saw"
        return [_finding(FindingKind.INCONSISTENT_CHECKPOINT, detail)]
    return []
