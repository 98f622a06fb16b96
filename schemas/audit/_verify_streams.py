"""Verifying one stream: each commit against its key and its hash, then the chain between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schemas.audit._verify_gaps import Gap, describe_gap, split_strays
from schemas.base.findings import Finding, FindingKind, stream_finding
from schemas.log.chain import follows
from schemas.log.commit import GENESIS, Commit, CommitFormatError, parse_commit
from schemas.log.commit_signature import commit_signature_findings
from schemas.log.legacy_commits import AttestedHead, attested_hashes, is_legacy
from schemas.log.soundness import CommitProblem, sound_commit

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from schemas.log.keyring import Keyring
    from schemas.log.streams import StreamId

__all__ = ["StreamCheck", "check_stream"]


@dataclass
class StreamCheck:
    """What one stream holds: findings, and the hashes of its intact commits by their seq."""

    stream: StreamId
    findings: list[Finding] = field(default_factory=list)
    hashes: dict[int, set[str]] = field(default_factory=dict)
    top: int = -1
    commits: int = 0
    attested: int = 0
    """Legacy `/1` commits a signed cumulative checkpoint vouches for (not findings)."""
    events: int = 0
    signers: set[str] = field(default_factory=set)
    """The key ids that sealed the stream's intact commits (trusted or not)."""
    intact: dict[int, Commit] = field(default_factory=dict)
    """The intact commits by the seq of their key, as parsed once: later readers reuse them."""

    def holds(self, seq: int, digest: str) -> bool:
        """Whether an intact commit `seq` with this hash is in the stream (wherever its key)."""
        return digest in self.hashes.get(seq, set())


def _inspect(stream: StreamId, raw: bytes) -> tuple[Commit | None, CommitProblem | None]:
    """Parse and check one object: the commit if it is sound, else what is wrong with it."""
    judged = sound_commit(raw, stream)
    if isinstance(judged, CommitProblem):
        return None, judged
    return judged, None


def _claims(objects: Mapping[int, tuple[str, bytes]]) -> Callable[[int], bool]:
    """Whether the object at a seq parses as a commit stating that seq (intact or not)."""

    def claims(seq: int) -> bool:
        try:
            return parse_commit(objects[seq][1]).seq == seq
        except CommitFormatError:
            return False

    return claims


def check_stream(
    stream: StreamId,
    objects: Mapping[int, tuple[str, bytes]],
    keyring: Keyring | None = None,
    attested: AttestedHead | None = None,
) -> StreamCheck:
    """Verify a stream given its objects by key seq (each with its key and bytes).

    With a keyring every intact commit's signature is checked too; an intact commit with a
    bad or missing signature still links the chain (its finding names it on its own). A
    legacy `/1` commit on the chain that ends in the `attested` head (the highest head a
    trusted cumulative checkpoint states) passes unsigned and is counted in `attested`.
    Walks the seqs present, never every seq up to the top: a stray planted past a gap is
    one finding by key and stays out of the chain (`schemas/audit/_verify_gaps.py`).
    """
    chain, stray_seqs, gaps = split_strays(objects, _claims(objects))
    strays = set(stray_seqs)
    check = StreamCheck(stream, top=chain[-1] if chain else -1)
    inspected = {seq: _inspect(stream, raw) for seq, (_, raw) in sorted(objects.items())}
    vouched = _vouched(inspected, strays, attested) if keyring is not None else frozenset()
    intact = check.intact
    for seq, (commit, problem) in inspected.items():
        key = objects[seq][0]
        if problem is not None:
            check.findings.append(stream_finding(stream, seq, problem.kind, problem.detail, key))
        elif seq in strays:
            detail = f"past a gap and holds commit seq {commit.seq if commit else '?'}: planted"
            check.findings.append(stream_finding(stream, seq, FindingKind.STRAY, detail, key))
        if commit is not None and seq not in strays:
            if keyring is not None:
                check.findings.extend(
                    commit_signature_findings(stream, seq, commit, keyring, key, attested=vouched)
                )
                check.attested += commit.sig is None and commit.hash in vouched
            if commit.sig is not None:
                check.signers.add(commit.sig.key_id)
            intact[seq] = commit
            check.hashes.setdefault(commit.seq, set()).add(commit.hash)
            check.commits += 1
            check.events += len(commit.events)
    _walk(check, {seq: objects[seq] for seq in chain}, intact, gaps)
    return check


def _vouched(
    inspected: Mapping[int, tuple[Commit | None, object]],
    strays: set[int],
    attested: AttestedHead | None,
) -> frozenset[str]:
    """The intact commits the attested head reaches by `prev`, when the stream has a legacy one."""
    commits = [c for seq, (c, _) in inspected.items() if c is not None and seq not in strays]
    if attested is None or not any(is_legacy(commit) for commit in commits):
        return frozenset()
    return attested_hashes(commits, attested)


def _walk(
    check: StreamCheck,
    objects: Mapping[int, tuple[str, bytes]],
    intact: dict[int, Commit],
    gaps: list[Gap],
) -> None:
    """Follow keys in order: gaps (one finding each), displaced commits and broken hash links."""
    stream, shift, prev = check.stream, 0, GENESIS
    expected_prev: str | None = prev
    after_gap = {last + 1: (first, last) for first, last in gaps}
    for seq in sorted(objects):
        if seq in after_gap:
            gap = after_gap[seq]
            check.findings.append(
                stream_finding(stream, gap[0], FindingKind.MISSING, describe_gap(gap, "commit"))
            )
            expected_prev = None
        commit = intact.get(seq)
        if commit is None:
            expected_prev = None
            continue
        key = objects[seq][0]
        offset = commit.seq - seq
        if offset != shift:
            partner = intact.get(commit.seq - shift)
            if offset not in {shift - 1, shift + 1} or (
                partner is not None and partner.seq - shift == seq
            ):
                detail = f"holds commit seq {commit.seq}: commits were swapped or reordered"
                check.findings.append(
                    stream_finding(stream, seq, FindingKind.REORDERED, detail, key)
                )
                expected_prev = None
                continue
            if offset == shift - 1:
                detail = (
                    f"not in the original chain: seq {seq} holds the former seq {commit.seq}"
                    " and later commits are shifted up"
                )
                inserted_key = objects.get(seq - 1, (None, b""))[0]
                check.findings.append(
                    stream_finding(stream, seq - 1, FindingKind.INSERTED, detail, inserted_key)
                )
            else:
                detail = (
                    f"removed: seq {seq} holds the former seq {commit.seq}"
                    " and later commits are shifted down"
                )
                check.findings.append(stream_finding(stream, seq, FindingKind.MISSING, detail))
            shift, expected_prev = offset, commit.hash
            continue
        if expected_prev is not None and not follows(commit, stream, seq + shift, expected_prev):
            detail = (
                f"prev does not match the hash of commit {seq - 1}: one of the two was replaced"
            )
            check.findings.append(stream_finding(stream, seq, FindingKind.MODIFIED, detail, key))
        expected_prev = commit.hash
