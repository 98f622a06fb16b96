"""What a witness concludes from the checkpoint it saw last and the log's newest one.

Pure. A log may only grow: a newest checkpoint with a lower seq or a smaller tree than
one the witness saw is `rolled_back`; one whose tree does not extend the seen tree (a
consistency proof, RFC 9162 §2.1.4.2) is `inconsistent_checkpoint`. Either way the
witness signs nothing (C2SP tlog-cosignature: a cosigner vouches for consistency). A log
also may not stop: checkpoints are signed hourly even when idle, so a newest one older
than the auditor allows is `stale_checkpoint` (CloudTrail's hourly digest: silence is
evidence).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from schemas.base.canonical import format_time
from schemas.base.findings import Finding, FindingKind
from schemas.tlog.merkle import verify_consistency

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime, timedelta

    from schemas.tlog.checkpoint import TreeHead

__all__ = ["Freshness", "stale_findings", "witness_findings"]


class Freshness(NamedTuple):
    """How old the newest checkpoint may be (`--max-age`), as of `now`."""

    now: datetime
    max_age: timedelta


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


def stale_findings(newest: datetime | None, freshness: Freshness | None) -> list[Finding]:
    """A finding when the newest checkpoint (its time; None: there is none) is too old."""
    if freshness is None:
        return []
    allowed = f"at most {freshness.max_age} old is allowed (--max-age)"
    if newest is None:
        return [_finding(FindingKind.STALE_CHECKPOINT, f"no checkpoint at all; {allowed}")]
    age = freshness.now - newest
    if age <= freshness.max_age:
        return []
    detail = (
        f"the newest checkpoint, of {format_time(newest)}, is {age} old; {allowed}: "
        "the log stopped advancing"
    )
    return [_finding(FindingKind.STALE_CHECKPOINT, detail)]
