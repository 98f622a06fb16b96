"""The audit flow: verify the whole log against the trusted keys on a schedule."""

from __future__ import annotations

from typing import Any

from prefect.artifacts import create_markdown_artifact

from flows._flow import grant_flow
from infra.identity.keys import load_keyring
from infra.runtime import get_runtime
from schemas.base.errors import FindingsError, InputError
from usecases.verify import verify_store

__all__ = ["AuditFailedError", "audit"]


class AuditFailedError(FindingsError):
    """The log has findings: the run fails so it shows red in the Prefect UI."""


@grant_flow("audit", run_name="audit-{program}-{date}")
def audit(program: str | None = None) -> dict[str, Any]:
    """Check every signature, hash link and sequence (as `grantreview audit verify` does).

    Publishes the findings as a Markdown artifact and fails the run on any finding.
    Needs GRANTREVIEW_VERIFY_KEY_FILE.

    Args:
        program: Verify only this program's streams; empty verifies the whole log.
    """
    runtime = get_runtime()
    key_file = runtime.settings.verify_key_file
    if key_file is None:
        raise InputError("the audit needs GRANTREVIEW_VERIFY_KEY_FILE")
    report = verify_store(
        runtime.store, runtime.settings.s3_prefix, load_keyring(key_file), program=program
    )
    lines = [f"- `{f.location}`: {f.kind}: {f.detail}" for f in report.findings]
    summary = (
        f"{report.streams} streams, {report.commits} commits, {report.checkpoints} checkpoints, "
        f"{report.uncovered_commits} commits newer than the newest checkpoint"
    )
    create_markdown_artifact(
        key="audit",
        markdown=f"# Audit: {'ok' if report.ok else 'FAILED'}\n\n{summary}\n\n"
        + ("\n".join(lines) or "No findings."),
        description="grantreview audit verify, run by the scheduled deployment",
    )
    if not report.ok:
        raise AuditFailedError(f"{len(report.findings)} findings; {summary}")
    return report.as_json()
