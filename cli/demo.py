"""`grantreview demo`: the four 2017 PSP jurisdictions, end to end, then a check of the log."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from cli._common import ExitCode, fail
from cli._render import safe_text
from cli.review import print_table

__all__ = ["demo"]

PROGRAM = "psp-2017"
LETTER_DATE = datetime(2017, 8, 3, tzinfo=UTC)
"""OJP's letters to the four police chiefs are dated 2017-08-03 (domain.md)."""


def demo() -> None:
    """Import the seed jurisdictions, review them under psp-2017, record their answers, decide."""
    from flows.deploy.run import run_flow  # noqa: PLC0415
    from flows.respond import respond as respond_flow  # noqa: PLC0415 - Prefect only when needed
    from flows.review import review as review_flow  # noqa: PLC0415
    from infra.bucket import ensure_bucket  # noqa: PLC0415
    from infra.responses import read_response_file  # noqa: PLC0415
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.imports import import_csv  # noqa: PLC0415
    from usecases.status import status_rows  # noqa: PLC0415
    from usecases.verify import verify_runtime_log  # noqa: PLC0415

    runtime = get_runtime()
    settings = runtime.settings
    examples = settings.programs_dir / PROGRAM / "examples"
    ensure_bucket(
        runtime.client,
        settings.s3_bucket,
        settings.s3_prefix,
        lock_mode=settings.object_lock_mode,
        lock_days=settings.object_lock_days,
    )
    imported = import_csv(runtime, examples / "jurisdictions.csv")
    typer.echo(f"jurisdictions: {imported['rows']} read, {imported['recorded']} recorded")
    run_flow(review_flow, PROGRAM, None, LETTER_DATE)
    typer.echo("letters: sent (or already on file) as of 2017-08-03")
    for path in sorted(examples.glob("*.json")):
        raw, response = read_response_file(path)
        digest = runtime.documents.put(raw)
        run_flow(respond_flow, PROGRAM, response.jurisdiction, digest, response.received_at)
        typer.echo(f"response: {response.jurisdiction} recorded and decided")
    print_table(status_rows(runtime, PROGRAM, []))
    findings = verify_runtime_log(runtime)
    if findings:
        for finding in findings:
            typer.echo(safe_text(f"finding: {finding}", one_line=True), err=True)
        fail(f"the log did not verify: {len(findings)} finding(s)", ExitCode.FINDING)
    typer.echo("log verified: every hash link and signed checkpoint checks out")
