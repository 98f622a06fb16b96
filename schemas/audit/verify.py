"""Verification of a whole log from what was read: commit and checkpoint bytes plus a keyring.

Pure: the adapter (usecases/verify.py) gathers the objects; this module runs the one audit
pass (schemas/audit/auditor.py, shared with replay) over them. The checks and the finding kinds are
specified in docs/log-format.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.audit._expect_checkpoint import parse_expectation
from schemas.audit.auditor import Documents, Finding, FindingKind, LogAuditor, TlogObjects
from schemas.audit.witness import Freshness, stale_findings

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from schemas.log.cumulative_checkpoint import Keyring

__all__ = [
    "Finding",
    "FindingKind",
    "Freshness",
    "VerifyReport",
    "parse_expectation",
    "verify_log",
]


class VerifyReport(BaseModel):
    """The outcome: ok only when there are no findings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    findings: tuple[Finding, ...]
    program: str | None
    """The one program verified, or None for all (or several: see `programs`)."""
    programs: tuple[str, ...] = ()
    """Every program verified; empty for all."""
    streams: int
    commits: int
    events: int
    checkpoints: int
    newest_checkpoint: int | None
    newest_checkpoint_time: AwareDatetime | None
    uncovered_commits: int
    newest_checkpoint_signature: str | None = None
    """Keep `SEQ:SIGNATURE` elsewhere; `--expect-checkpoint` then detects a rolled-back log."""
    signed_acts: int = 0
    """Acts carrying a person's signature; 0 with acts recorded means they are unsigned."""
    people_in_force: str | None = None
    """The SHA-256 of the people file adopted last; None: no file is in force, acts unsigned."""
    tlog_checkpoints: int = 0
    tlog_size: int | None = None
    tlog_signature: str | None = None
    """The newest tlog checkpoint's signature (base64); keep `TREE_SIZE:SIGNATURE` from then on."""
    tlog_time: AwareDatetime | None = None
    """The newest tlog checkpoint's batch time: how fresh the log is (`--max-age`)."""
    attested_legacy_commits: int = 0
    """Unsigned `/1` commits a signed cumulative checkpoint vouches for (not findings)."""
    attesting_checkpoints: tuple[int, ...] = ()
    """The seqs of the cumulative checkpoints whose heads vouched for them."""
    untrusted_signers: tuple[str, ...] = ()
    """The key ids that sealed the log when the keyring holds none of them (a wrong keyring)."""

    @property
    def keep(self) -> str | None:
        """What an auditor keeps for `--expect-checkpoint`: the newest tlog checkpoint, if any."""
        if self.tlog_size is not None and self.tlog_signature is not None:
            return f"{self.tlog_size}:{self.tlog_signature}"
        if self.newest_checkpoint is None or self.newest_checkpoint_signature is None:
            return None
        return f"{self.newest_checkpoint}:{self.newest_checkpoint_signature}"

    def as_json(self) -> dict[str, Any]:
        """The `audit verify --json` document."""
        return self.model_dump(mode="json")


def verify_log(
    prefix: str,
    commits: Mapping[str, bytes],
    checkpoints: Mapping[str, bytes],
    keyring: Keyring,
    *,
    program: str | None = None,
    programs: Sequence[str] = (),
    expected: tuple[int, str] | None = None,
    documents: Documents | None = None,
    tlog: TlogObjects | None = None,
    freshness: Freshness | None = None,
) -> VerifyReport:
    """Verify every commit (all keys under `{prefix}streams/`, or some programs') and checkpoint.

    `expected` is a checkpoint the auditor kept from an earlier audit: (seq, hex signature)
    of a cumulative one, or (tree size, base64 signature) of a tlog one. With `freshness`
    a newest checkpoint (of either form) older than it allows is a finding.
    """
    wanted = tuple(dict.fromkeys([*([program] if program is not None else []), *programs]))
    auditor = LogAuditor.start(
        prefix,
        checkpoints,
        keyring,
        selected=lambda stream: not wanted or stream.program in wanted,
        documents=documents,
        tlog=tlog,
    )
    streams, bad_keys = auditor.group(sorted(commits))
    findings = [*auditor.checkpoint_findings, *bad_keys]
    kept_at = len(findings)
    heads: list[Finding] = []
    for stream, keys in streams.items():
        audited = auditor.audit(stream, {seq: (key, commits[key]) for seq, key in keys.items()})
        findings.extend(audited.check.findings)
        heads.extend(audited.heads)
    end = auditor.finish()
    findings.extend(sorted([*heads, *end.unseen], key=lambda f: f"{f.program}/{f.jurisdiction}"))
    findings.extend(end.log_wide)
    if expected is not None:
        findings[kept_at:kept_at] = end.expect(*expected)
    newest = auditor.newest
    check = end.tlog
    times = [
        moment
        for moment in (
            None if newest is None else newest.time,
            None if check is None else check.time,
        )
        if moment is not None
    ]
    findings.extend(stale_findings(max(times, default=None), freshness))
    return VerifyReport(
        ok=not findings,
        findings=tuple(findings),
        program=wanted[0] if len(wanted) == 1 else None,
        programs=wanted,
        streams=auditor.streams,
        commits=auditor.commits,
        events=auditor.events,
        checkpoints=len(auditor.trusted),
        newest_checkpoint=None if newest is None else newest.seq,
        newest_checkpoint_time=None if newest is None else newest.time,
        uncovered_commits=end.uncovered_commits,
        newest_checkpoint_signature=None if newest is None else newest.signature,
        signed_acts=0 if auditor.acts is None else auditor.acts.signed,
        people_in_force=None if auditor.acts is None else auditor.acts.people_in_force,
        tlog_checkpoints=0 if check is None else check.checkpoints,
        tlog_size=None if check is None or check.head is None else check.head.size,
        tlog_signature=None if check is None or check.head is None else check.signature,
        tlog_time=None if check is None else check.time,
        attested_legacy_commits=auditor.attested_legacy,
        attesting_checkpoints=tuple(sorted(auditor.attesting)),
        untrusted_signers=auditor.untrusted_signers,
    )
