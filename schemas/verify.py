"""Verification of a whole log from what was read: commit and checkpoint bytes plus a keyring.

Pure: the adapter (usecases/verify.py) gathers the objects; this module decides. The checks
and the finding kinds are specified in docs/log-format.md.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas._findings import Finding, FindingKind, stream_finding
from schemas._verify_checkpoints import check_checkpoints
from schemas._verify_streams import StreamCheck, check_stream
from schemas.streams import StreamId, parse_commit_key

if TYPE_CHECKING:
    from collections.abc import Mapping

    from schemas.checkpoint import Checkpoint, Keyring

__all__ = ["Finding", "FindingKind", "VerifyReport", "verify_log"]


class VerifyReport(BaseModel):
    """The outcome: ok only when there are no findings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    findings: tuple[Finding, ...]
    program: str | None
    streams: int
    commits: int
    events: int
    checkpoints: int
    newest_checkpoint: int | None
    newest_checkpoint_time: AwareDatetime | None
    uncovered_commits: int

    def as_json(self) -> dict[str, Any]:
        """The `audit verify --json` document."""
        return self.model_dump(mode="json")


def _stream_objects(
    prefix: str, commits: Mapping[str, bytes], findings: list[Finding]
) -> dict[StreamId, dict[int, tuple[str, bytes]]]:
    streams: dict[StreamId, dict[int, tuple[str, bytes]]] = defaultdict(dict)
    for key, raw in sorted(commits.items()):
        parsed = parse_commit_key(prefix, key)
        if parsed is None:
            detail = "not a commit key (streams/{program}/{jurisdiction}/{seq:020d}.json)"
            findings.append(
                Finding(
                    program=None,
                    jurisdiction=None,
                    seq=None,
                    kind=FindingKind.BAD_FORMAT,
                    detail=detail,
                    key=key,
                )
            )
            continue
        streams[parsed[0]][parsed[1]] = (key, raw)
    return streams


def _check_heads(
    checks: dict[StreamId, StreamCheck], trusted: list[Checkpoint], program: str | None
) -> list[Finding]:
    """Every head a trusted checkpoint states must still be in its stream."""
    findings: list[Finding] = []
    located = {
        (f.program, f.jurisdiction, f.seq) for check in checks.values() for f in check.findings
    }
    stated = {(name, head.seq, head.hash) for cp in trusted for name, head in cp.heads.items()}
    for name, seq, digest in sorted(stated):
        program_name, _, jurisdiction = name.partition("/")
        if program is not None and program_name != program:
            continue
        try:
            stream = StreamId(program=program_name, jurisdiction=jurisdiction)
        except ValueError:
            continue  # a signed name that is no stream id names nothing to check
        check = checks.get(stream) or StreamCheck(stream)
        if check.holds(seq, digest) or (stream.program, stream.jurisdiction, seq) in located:
            continue
        if check.top < seq:
            detail = f"the stream ends at seq {check.top}; a checkpoint covers up to seq {seq}"
            kind = FindingKind.TRUNCATED
        else:
            detail = "differs from the commit a checkpoint covers: history was rewritten"
            kind = FindingKind.MODIFIED
        findings.append(stream_finding(stream, seq, kind, detail))
        located.add((stream.program, stream.jurisdiction, seq))
    return findings


def verify_log(
    prefix: str,
    commits: Mapping[str, bytes],
    checkpoints: Mapping[str, bytes],
    keyring: Keyring,
    *,
    program: str | None = None,
) -> VerifyReport:
    """Verify every commit (all keys under `{prefix}streams/`, or one program's) and checkpoint."""
    findings, trusted = check_checkpoints(prefix, checkpoints, keyring)
    checks = {
        stream: check_stream(stream, objects, keyring)
        for stream, objects in _stream_objects(prefix, commits, findings).items()
    }
    for check in checks.values():
        findings.extend(check.findings)
    findings.extend(_check_heads(checks, trusted, program))
    if not trusted and any(check.top >= 0 for check in checks.values()):
        findings.append(
            Finding(
                program=None,
                jurisdiction=None,
                seq=None,
                kind=FindingKind.MISSING,
                detail="no valid checkpoint: nothing in this log is signed",
            )
        )
    newest = trusted[0] if trusted else None
    covered = {name: head.seq for name, head in (newest.heads if newest else {}).items()}
    uncovered = sum(
        max(0, check.top - covered.get(stream.name, -1)) for stream, check in checks.items()
    )
    return VerifyReport(
        ok=not findings,
        findings=tuple(findings),
        program=program,
        streams=len(checks),
        commits=sum(check.commits for check in checks.values()),
        events=sum(check.events for check in checks.values()),
        checkpoints=len(trusted),
        newest_checkpoint=None if newest is None else newest.seq,
        newest_checkpoint_time=None if newest is None else newest.time,
        uncovered_commits=uncovered,
    )
