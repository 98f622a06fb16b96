"""Gaps and strays in a keyed sequence, in time and memory bounded by the objects present.

A planted object at an absurd seq (say 10^12) must cost one finding, never a walk over
every seq below it (issue #13, H3). So sequences are walked by the seqs present; a run
of absent seqs is one `missing` finding; an object past a gap that does not even claim
the seq its key names (it does not parse, or states another seq) is a stray: reported
once by its key and left out of the chain, so it cannot make the stream look truncated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["Gap", "describe_gap", "split_strays"]

Gap = tuple[int, int]
"""The first and last absent seq of a run of absent seqs."""


def split_strays(
    seqs: Iterable[int], claims_own_seq: Callable[[int], bool]
) -> tuple[list[int], list[int], list[Gap]]:
    """The seqs in the chain (ascending), the strays, and the gaps between chain seqs.

    `claims_own_seq(seq)` says whether the object at `seq` parses and states that seq;
    it is asked only of objects right past a gap.
    """
    chain: list[int] = []
    strays: list[int] = []
    gaps: list[Gap] = []
    expected = 0
    for seq in sorted(seqs):
        if seq > expected:
            if not claims_own_seq(seq):
                strays.append(seq)
                continue
            gaps.append((expected, seq - 1))
        chain.append(seq)
        expected = seq + 1
    return chain, strays, gaps


def describe_gap(gap: Gap, what: str) -> str:
    """`no commit at this seq`, or `no commits at seq 4..999` for a longer run."""
    first, last = gap
    if first == last:
        return f"no {what} at this seq"
    return f"no {what}s at seq {first}..{last}"
