"""`grantreview audit`: what an auditor runs. `verify` checks the log against the public keys.

More audit commands (replay, export) register on `audit_app` in their own functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from infra.cli._common import ExitCode, fail, print_json

if TYPE_CHECKING:
    from schemas.checkpoint import Keyring
    from schemas.verify import VerifyReport

__all__ = ["audit_app"]

audit_app = typer.Typer(help="Audit the event log: verify, without trusting the writer.")

_VERIFY_KEY_HELP = "Keyring of trusted public keys; default GRANTREVIEW_VERIFY_KEY_FILE."


def _keyring(option: Path | None, configured: Path | None) -> Keyring:
    from infra.keys import load_keyring  # noqa: PLC0415 - imported when a command runs

    path = option or configured
    if path is None:
        fail("no verify key: pass --verify-key FILE or set GRANTREVIEW_VERIFY_KEY_FILE")
    return load_keyring(path)


def _print_report(report: VerifyReport) -> None:
    for finding in report.findings:
        typer.echo(f"{finding.location}: {finding.kind}: {finding.detail}")
    newest = "none" if report.newest_checkpoint is None else str(report.newest_checkpoint)
    summary = (
        f"{report.streams} streams, {report.commits} commits, {report.events} events, "
        f"{report.checkpoints} checkpoints (newest {newest}), "
        f"{report.uncovered_commits} commits newer than the newest checkpoint"
    )
    if report.ok:
        typer.echo(f"ok: {summary}")
    else:
        typer.echo(f"FAILED: {len(report.findings)} findings; {summary}")


@audit_app.command("verify")
def verify(
    program: Annotated[
        str | None, typer.Option("--program", help="Verify only this program's streams.")
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option(
            "--source",
            help="Verify a downloaded copy (aws s3 sync layout) offline instead of S3.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    verify_key: Annotated[Path | None, typer.Option("--verify-key", help=_VERIFY_KEY_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check every signature, hash link and sequence; exit 1 on any finding."""
    from infra.audit import source_prefix, verify_store  # noqa: PLC0415 - imported when run
    from infra.eventlog.directory import DirectoryObjectStore  # noqa: PLC0415 - likewise
    from infra.eventlog.s3 import S3ObjectStore  # noqa: PLC0415 - likewise
    from infra.s3 import make_s3_client  # noqa: PLC0415 - likewise
    from infra.settings import get_settings  # noqa: PLC0415 - likewise

    settings = get_settings()
    keyring = _keyring(verify_key, settings.verify_key_file)
    if source is not None:
        prefix = source_prefix(source, settings.s3_prefix)
        report = verify_store(DirectoryObjectStore(source), prefix, keyring, program=program)
    else:
        client = make_s3_client(settings)
        store = S3ObjectStore(client, settings.s3_bucket, max_workers=settings.s3_max_workers)
        report = verify_store(store, settings.s3_prefix, keyring, program=program)
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(int(ExitCode.FINDING))
