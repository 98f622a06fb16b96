"""The hash chain rule, in one place: commit `seq` of a stream names the hash of `seq - 1`.

Writers read with it (infra/eventlog/log.py refuses a broken stream), the state-index
catch-up trusts a short read only if it holds, and the verifier (schemas/audit/_verify_streams.py)
checks each link with it before naming what broke.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from schemas.log.commit import GENESIS, Commit

if TYPE_CHECKING:
    from collections.abc import Iterable

    from schemas.log.streams import StreamId

__all__ = ["ChainBreak", "chain_break", "follows"]


class ChainBreak(NamedTuple):
    """Where a chain breaks: the seq the commit should have had, and the commit found there."""

    seq: int
    commit: Commit


def follows(commit: Commit, stream: StreamId, seq: int, prev: str) -> bool:
    """Whether `commit` is the commit at `seq` of `stream` that links to the hash `prev`."""
    return commit.stream == stream.name and commit.seq == seq and commit.prev == prev


def chain_break(
    stream: StreamId, commits: Iterable[Commit], *, seq: int = 0, prev: str = GENESIS
) -> ChainBreak | None:
    """The first commit (with the seq it should have had) that does not continue the chain.

    The chain starts at `seq` after a commit of hash `prev` (the genesis by default); None
    when every commit follows its predecessor.
    """
    for commit in commits:
        if not follows(commit, stream, seq, prev):
            return ChainBreak(seq, commit)
        seq, prev = seq + 1, commit.hash
    return None
