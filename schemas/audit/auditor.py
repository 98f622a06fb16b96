"""The one audit pass behind `audit verify` and `audit replay`, fed one stream at a time.

Pure, like sigstore's single `Verifier`: the checkpoint chain is checked once up front,
then each stream's objects are checked on their own (schemas/audit/_verify_streams.py) and
against the heads the trusted checkpoints state; `finish` names the heads of streams
that were never seen and an unsigned log. `audit verify` is this pass alone
(schemas/audit/verify.py); replay is this pass and re-derivation (usecases/replay.py). Memory
holds one stream's objects at a time, plus what the checkpoints state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schemas.audit._expect_checkpoint import expect_cumulative, expect_tlog, is_tlog_signature
from schemas.audit._verify_acts import ActAudit, Documents
from schemas.audit._verify_checkpoints import check_checkpoints
from schemas.audit._verify_streams import StreamCheck, check_stream
from schemas.audit._verify_tlog import TlogCheck, TlogObjects, check_tlog
from schemas.base.findings import Finding, FindingKind, stream_finding
from schemas.log.commit import Commit, CommitFormatError, parse_commit
from schemas.log.legacy_commits import AttestedHead, attested_heads
from schemas.log.streams import StreamId, commit_key, parse_commit_key
from schemas.tlog.merkle import leaf_hash

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from datetime import datetime

    from schemas.log.cumulative_checkpoint import Checkpoint, Keyring

__all__ = [
    "ActAudit",
    "AuditEnd",
    "Documents",
    "Finding",
    "FindingKind",
    "LogAuditor",
    "StreamAudit",
    "StreamCheck",
    "TlogObjects",
    "intact_commits",
]

Objects = dict[int, tuple[str, bytes]]
"""A stream's stored objects by the seq in their key, each with its key and bytes."""


@dataclass(frozen=True)
class StreamAudit:
    """One stream's outcome: its own check, and the signed heads it no longer holds."""

    check: StreamCheck
    heads: list[Finding]

    @property
    def findings(self) -> list[Finding]:
        """The stream's findings, then its head findings (the order replay reports them)."""
        return [*self.check.findings, *self.heads]


def _unlocated(kind: FindingKind, detail: str, key: str | None = None) -> Finding:
    """A finding about the log as a whole (or a key that names no stream)."""
    return Finding(program=None, jurisdiction=None, seq=None, kind=kind, detail=detail, key=key)


def _head_findings(check: StreamCheck, stated: Iterable[tuple[int, str]]) -> list[Finding]:
    """Every head a trusted checkpoint states must still be in its stream."""
    located = {finding.seq for finding in check.findings}
    findings: list[Finding] = []
    for seq, digest in sorted(set(stated)):
        if check.holds(seq, digest) or seq in located:
            continue
        if check.top < seq:
            detail = f"the stream ends at seq {check.top}; a checkpoint covers up to seq {seq}"
            findings.append(stream_finding(check.stream, seq, FindingKind.TRUNCATED, detail))
        else:
            detail = "differs from the commit a checkpoint covers: history was rewritten"
            findings.append(stream_finding(check.stream, seq, FindingKind.MODIFIED, detail))
        located.add(seq)
    return findings


@dataclass(frozen=True)
class AuditEnd:
    """What only the whole pass shows, once every stream was audited (`LogAuditor.finish`).

    Holding one is the proof that the pass is over: checking a kept checkpoint (`expect`)
    needs the transparency log checked against every commit, so it is asked of this.
    """

    unseen: list[Finding]
    """Heads trusted checkpoints state for selected streams that were never audited."""
    log_wide: list[Finding]
    """Unsigned acts, an unsigned log, and the transparency log's findings."""
    tlog: TlogCheck | None
    trusted: list[Checkpoint]
    uncovered_commits: int
    """Commits no checkpoint covers: not in the tree once there is one, else past the heads."""

    def expect(self, seq: int, signature: str) -> list[Finding]:
        """The auditor kept a checkpoint (either form): the log must still hold it."""
        if is_tlog_signature(signature):
            return expect_tlog(self.tlog, seq, signature)
        return expect_cumulative(self.trusted, seq, signature)


@dataclass
class LogAuditor:
    """Verify a log stream by stream; the counts add up as streams are audited.

    The order is start → group → audit each stream → finish, and it is held by the types:
    `start` is the constructor, `audit` refuses once the pass is finished, and what needs
    the whole pass (a kept checkpoint, the tree's findings) is on the `AuditEnd` that
    `finish` returns, once. `selected` says which streams the caller audits (a program,
    some jurisdictions): a head stated for an unselected stream is not looked for.
    """

    prefix: str
    checkpoint_findings: list[Finding]
    trusted: list[Checkpoint]
    keyring: Keyring
    selected: Callable[[StreamId], bool] = lambda _: True
    acts: ActAudit | None = None
    """People's acts are checked when documents (people files, programs) can be read."""
    streams: int = 0
    commits: int = 0
    events: int = 0
    uncovered: int = 0
    holds_objects: bool = False
    tlog: TlogObjects | None = None
    attested_legacy: int = 0
    """Legacy `/1` commits signed cumulative checkpoints vouch for: counted, not findings."""
    attesting: set[int] = field(default_factory=set)
    """The seqs of the checkpoints whose heads vouched for those legacy commits."""
    signers: set[str] = field(default_factory=set)
    """Every key id that sealed an intact commit audited, in the keyring or not."""
    _stated: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    _attested: dict[str, AttestedHead] = field(default_factory=dict)
    _leaves: dict[str, tuple[bytes, datetime]] = field(default_factory=dict)
    _finished: bool = False

    @classmethod
    def start(
        cls,
        prefix: str,
        checkpoints: Mapping[str, bytes],
        keyring: Keyring,
        selected: Callable[[StreamId], bool] = lambda _: True,
        *,
        documents: Documents | None = None,
        tlog: TlogObjects | None = None,
    ) -> LogAuditor:
        """Check the checkpoint chain: its findings, and the heads the trusted ones state.

        With `documents`, every act is checked against the people file and program it names;
        with `tlog` (what was read under `tlog/`), `finish` also checks the transparency log
        against every commit audited.
        """
        findings, trusted = check_checkpoints(prefix, checkpoints, keyring)
        acts = None if documents is None else ActAudit(documents)
        auditor = cls(prefix, findings, trusted, keyring, selected, acts, tlog=tlog)
        auditor._attested = attested_heads(trusted)
        for checkpoint in trusted:
            for name, head in checkpoint.heads.items():
                auditor._stated.setdefault(name, []).append((head.seq, head.hash))
        return auditor

    @property
    def newest(self) -> Checkpoint | None:
        """The newest trusted checkpoint."""
        return self.trusted[0] if self.trusted else None

    def group(self, keys: Iterable[str]) -> tuple[dict[StreamId, dict[int, str]], list[Finding]]:
        """Commit keys by stream and seq, in the order given; a key that is none is a finding."""
        streams: dict[StreamId, dict[int, str]] = {}
        findings: list[Finding] = []
        for key in keys:
            parsed = parse_commit_key(self.prefix, key)
            if parsed is None:
                detail = "not a commit key (streams/{program}/{jurisdiction}/{seq:020d}.json)"
                findings.append(_unlocated(FindingKind.BAD_FORMAT, detail, key))
                continue
            streams.setdefault(parsed[0], {})[parsed[1]] = key
        return streams, findings

    def audit(self, stream: StreamId, objects: Mapping[int, tuple[str, bytes]]) -> StreamAudit:
        """Check one stream's objects, and the heads trusted checkpoints state for it."""
        if self._finished:
            raise RuntimeError("the audit pass is finished: a stream audited now is never counted")
        attested = self._attested.get(stream.name)
        check = check_stream(stream, objects, self.keyring, attested)
        if check.attested and attested is not None:
            self.attested_legacy += check.attested
            self.attesting.add(attested.checkpoint)
        if self.tlog is not None:  # before the acts: an act's finding leaves the leaf owed
            self._record_leaves(stream, objects, check)
        if self.acts is not None:
            for commit in intact_commits(objects, check):
                key = objects.get(commit.seq, ("", b""))[0]
                check.findings.extend(self.acts.commit(stream, commit.seq, commit, key))
        heads = _head_findings(check, self._stated.pop(stream.name, []))
        newest = self.newest
        covered = newest.heads.get(stream.name) if newest is not None else None
        self.streams += 1
        self.commits += check.commits
        self.events += check.events
        self.signers |= check.signers
        self.uncovered += max(0, check.top - (-1 if covered is None else covered.seq))
        self.holds_objects = self.holds_objects or check.top >= 0
        return StreamAudit(check, heads)

    def _record_leaves(
        self, stream: StreamId, objects: Mapping[int, tuple[str, bytes]], check: StreamCheck
    ) -> None:
        """Owed leaves: sound commits at their own key (a stray, a forgery: its own finding)."""
        flagged = {finding.seq for finding in check.findings}
        for seq, (key, raw) in objects.items():
            if seq in flagged:
                continue
            commit = _parsed(check, seq, raw)
            if commit is None:
                continue
            if (
                commit.seq == seq
                and check.holds(seq, commit.hash)
                and key == commit_key(self.prefix, stream, seq)
            ):
                self._leaves[key] = (leaf_hash(raw), commit.time)

    @property
    def untrusted_signers(self) -> tuple[str, ...]:
        """The key ids seen, when the keyring holds none of them: the wrong keyring, not a forgery.

        Empty when some commit was sealed by a key of the keyring, or none was sealed at all.
        """
        if self.trusted or any(self.keyring.find(key) for key in self.signers):
            return ()
        return tuple(sorted(self.signers))

    def finish(self) -> AuditEnd:
        """End the pass, once: unseen heads, unsigned acts and log-wide findings.

        Unseen heads are those of selected streams never audited (the stream is gone);
        log-wide: an unsigned log, and the transparency log's findings.
        """
        if self._finished:
            raise RuntimeError("the audit pass is already finished")
        self._finished = True
        unseen: list[Finding] = []
        for name, heads in sorted(self._stated.items()):
            program, _, jurisdiction = name.partition("/")
            try:
                stream = StreamId(program=program, jurisdiction=jurisdiction)
            except ValueError:
                continue  # a signed name that is no stream id names nothing to check
            if self.selected(stream):
                unseen.extend(_head_findings(StreamCheck(stream), heads))
        tlog = self._check_tlog()
        unsigned: list[Finding] = [] if self.acts is None else self.acts.unsigned()
        if not self.trusted and self.holds_objects and (tlog is None or tlog.head is None):
            detail = "no valid checkpoint: nothing in this log is signed"
            unsigned.append(_unlocated(FindingKind.MISSING, detail))
        uncovered = self.uncovered if tlog is None or tlog.head is None else tlog.pending
        log_wide = [*unsigned, *([] if tlog is None else tlog.findings)]
        return AuditEnd(unseen, log_wide, tlog, self.trusted, uncovered)

    def _check_tlog(self) -> TlogCheck | None:
        """The transparency log's check against every commit audited (when it was read)."""
        if self.tlog is None:
            return None
        return check_tlog(
            self.prefix,
            self.tlog,
            {key: leaf for key, (leaf, _) in self._leaves.items()},
            {key: time for key, (_, time) in self._leaves.items()},
            self.keyring,
            selected=self.selected,
        )


def _parsed(check: StreamCheck, seq: int, raw: bytes) -> Commit | None:
    """The commit stored at `seq`: as the check parsed it when intact, else parsed here."""
    commit = check.intact.get(seq)
    if commit is not None:
        return commit
    try:
        return parse_commit(raw)
    except CommitFormatError:
        return None


def intact_commits(objects: Mapping[int, tuple[str, bytes]], check: StreamCheck) -> list[Commit]:
    """The commits the check found intact, in seq order (one per seq): what replay folds."""
    commits: dict[int, Commit] = {}
    for seq, (_, raw) in sorted(objects.items()):
        commit = _parsed(check, seq, raw)
        if commit is None:
            continue
        if check.holds(commit.seq, commit.hash) and commit.stream == check.stream.name:
            commits.setdefault(commit.seq, commit)
    return [commits[seq] for seq in sorted(commits)]
