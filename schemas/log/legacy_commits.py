"""Legacy `grantreview.commit/1` commits attested by signed cumulative checkpoints.

Round 1 wrote unsigned commits and signed cumulative checkpoints over the stream heads.
A checkpoint signed by a key valid at its time, naming head (seq N, hash h) of a stream,
vouches for every commit the hash chain links to h: each commit hash covers its `prev`,
so finding h at seq N and walking `prev` back authenticates each commit reached exactly
as a signature on it would (CloudTrail's digest files, a CT log's signed tree head).
Commits past N, in streams no checkpoint names, or off that chain stay unsigned
(docs/log-format.md sections 3 and 6, rule 9a).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from schemas.log.commit import GENESIS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from schemas.log.commit import Commit
    from schemas.log.cumulative_checkpoint import Checkpoint

__all__ = ["AttestedHead", "attestation_line", "attested_hashes", "attested_heads", "is_legacy"]


class AttestedHead(NamedTuple):
    """A stream head a trusted cumulative checkpoint signed, and that checkpoint's seq."""

    seq: int
    hash: str
    checkpoint: int


def is_legacy(commit: Commit) -> bool:
    """Whether `commit` is an unsigned `grantreview.commit/1` commit (no `sig`)."""
    return commit.sig is None


def attested_heads(checkpoints: Iterable[Checkpoint]) -> dict[str, AttestedHead]:
    """Each stream's highest head stated by any of `checkpoints` (already verified).

    Pass only checkpoints whose signature verifies under a key valid at their time; a
    forged one attests nothing. The highest head suffices, so writers need only the newest
    checkpoint: heads never move back along the chain, and whatever an older, lower head
    (N', h') attests is reached from the higher one (N, h) by walking `prev` whenever the
    stream is intact from N' to N. If it is not, the stream already has a `modified` or
    `truncated` finding (section 6, rule 13) and writers refuse it for its broken chain.
    On equal seqs the first checkpoint given (newest first) wins.
    """
    heads: dict[str, AttestedHead] = {}
    for checkpoint in checkpoints:
        for name, head in checkpoint.heads.items():
            known = heads.get(name)
            if known is None or head.seq > known.seq:
                heads[name] = AttestedHead(head.seq, head.hash, checkpoint.seq)
    return heads


def attested_hashes(commits: Iterable[Commit], head: AttestedHead | None) -> frozenset[str]:
    """The hashes of the commits of one stream that `head` attests, walking `prev` from it.

    `commits` are the stream's intact commits (their `hash` recomputed by the caller, or
    the chain checked as writers do); the walk starts at the commit with `head`'s seq and
    hash and follows `prev` to the commit one seq lower until the chain ends or breaks.
    Only legacy commits need it, so callers compute it once per stream that holds one.
    """
    if head is None:
        return frozenset()
    by_hash = {commit.hash: commit for commit in commits}
    reached: set[str] = set()
    digest, seq = head.hash, head.seq
    while seq >= 0 and digest != GENESIS:
        commit = by_hash.get(digest)
        if commit is None or commit.seq != seq or digest in reached:
            break
        reached.add(digest)
        digest, seq = commit.prev, seq - 1
    return frozenset(reached)


def attestation_line(commits: int, checkpoints: Iterable[int]) -> str | None:
    """The report's one line on attested legacy commits (None when there were none)."""
    if not commits:
        return None
    seqs = sorted(set(checkpoints))
    by = ", ".join(str(seq) for seq in seqs)
    noun = "checkpoint" if len(seqs) == 1 else "checkpoints"
    return f"{commits} legacy unsigned commits (grantreview.commit/1) attested by {noun} {by}"
