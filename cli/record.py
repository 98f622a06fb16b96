"""`grantreview record` and `verify-record`: the administrative record of one review, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli._common import ExitCode
from cli._render import safe_text
from cli.audit import VerifyKeyOption
from schemas.base.ids import check_slug

__all__ = ["record", "verify_record_command"]


def record(
    jurisdiction: Annotated[str, typer.Argument(help="Jurisdiction slug.")],
    program: Annotated[str, typer.Option("--program", "-p", help="Program id.")],
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="A new folder for it.")],
    zip_file: Annotated[
        Path | None, typer.Option("--zip", metavar="FILE", help="Also write it as one zip.")
    ] = None,
) -> None:
    """Write one review's administrative record: every item, proven, checkable offline.

    Read-only: letters, responses, notices, the program, every commit with its tlog-proof,
    the checkpoint and keys, each act with its SSH signature, index.html, VERIFY.md and
    MANIFEST.sha256. Exit 1 if replaying the review found something (the packet says so).
    """
    check_slug(program, "program id")
    check_slug(jurisdiction, "jurisdiction slug")
    from infra.files.packet import check_new_folder, write_packet, write_zip  # noqa: PLC0415
    from infra.platform.clock import utc_now  # noqa: PLC0415 - keep start-up light
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.record import build_record  # noqa: PLC0415

    check_new_folder(out)
    if zip_file is not None and (zip_file.exists() or zip_file.is_symlink()):
        typer.echo(f"error: --zip {safe_text(str(zip_file))} exists", err=True)
        raise typer.Exit(int(ExitCode.BAD_INPUT))
    runtime = get_runtime()
    packet = build_record(
        runtime, program, jurisdiction, made_at=utc_now(), made_by=runtime.settings.actor
    )
    write_packet(packet.files, out)
    if zip_file is not None:
        write_zip(packet.files, zip_file)
    typer.echo(safe_text(f"record: {out} ({len(packet.files)} files)", one_line=True))
    typer.echo(safe_text(f"check it: grantreview verify-record {out}", one_line=True))
    if not packet.ok:
        typer.echo("FAILED: replaying this review found something: see index.html")
        raise typer.Exit(int(ExitCode.FINDING))


def verify_record_command(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="A packet by `record`.")],
    verify_key: VerifyKeyOption = None,
) -> None:
    """Check a record packet offline: exit 0, or 1 naming each file changed, missing or added.

    Proofs are checked with --verify-key (or GRANTREVIEW_VERIFY_KEY_FILE): the log's keys
    as you got them elsewhere; without either, with the packet's own `keyring.json`.
    """
    from infra.identity.keys import load_keyring  # noqa: PLC0415 - keep start-up light
    from infra.platform.settings import get_settings  # noqa: PLC0415
    from usecases.verify_record import verify_packet  # noqa: PLC0415

    path = verify_key or get_settings().verify_key_file
    problems, checked = verify_packet(directory, None if path is None else load_keyring(path))
    for problem in problems:
        typer.echo(safe_text(f"FAILED: {problem}", one_line=True))
    if problems:
        raise typer.Exit(int(ExitCode.FINDING))
    keys = "the packet's own keyring" if path is None else str(path)
    typer.echo(safe_text(f"ok: {checked} files as listed, every commit proven with {keys}"))
