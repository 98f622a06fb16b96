"""`init` and `jurisdictions`: prepare the store and the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli._common import ExitCode, fail, print_json
from cli._options import ActFileOption, PrepareOption, SignatureFileOption, read_presigned
from cli._render import safe_text

__all__ = ["init", "jurisdictions_app"]

jurisdictions_app = typer.Typer(help="Import and list jurisdictions.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]


def init(
    accept_unconditional_writes: Annotated[
        bool,
        typer.Option(
            "--accept-unconditional-writes",
            help="Use a store without If-None-Match (concurrent writers could fork a stream).",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Create the bucket if missing (versioning, Object Lock) or accept it; report guarantees."""
    from infra.runtime import get_runtime  # noqa: PLC0415
    from infra.s3.bucket import ensure_bucket  # noqa: PLC0415 - keep CLI start-up light

    runtime = get_runtime()
    settings = runtime.settings
    report = ensure_bucket(
        runtime.client,
        settings.s3_bucket,
        settings.s3_prefix,
        lock_mode=settings.object_lock_mode,
        lock_days=settings.object_lock_days,
    )
    if json_output:
        print_json(report.as_dict())
    else:
        for name, value in report.as_dict().items():
            shown = "unknown (not visible to these credentials)" if value is None else value
            typer.echo(safe_text(f"{name:20} {shown}", one_line=True))
    if not report.conditional_writes and not accept_unconditional_writes:
        fail(
            "this store does not honour If-None-Match: *; concurrent writers could overwrite "
            "commits. Use another store or pass --accept-unconditional-writes",
            ExitCode.UNAVAILABLE,
        )


@jurisdictions_app.command("import")
def import_jurisdictions(  # noqa: PLR0917 - Typer passes every option by name; it is the CLI
    file: Annotated[Path, typer.Argument(help="CSV with header slug,name,state,geoid.")],
    json_output: JsonOption = False,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Your id in the people file [GRANTREVIEW_ACTOR].")
    ] = None,
    prepare: PrepareOption = False,
    act_file: ActFileOption = None,
    signature: SignatureFileOption = None,
) -> None:
    """Import jurisdictions; re-importing the same rows changes nothing."""
    presigned = read_presigned(act_file, signature, prepare=prepare)
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.imports import import_csv, prepare_import  # noqa: PLC0415 - start-up light

    runtime = get_runtime()
    if prepare:
        from cli.acts import print_prepared  # noqa: PLC0415

        print_prepared(prepare_import(runtime, file, actor or runtime.settings.actor))
        return
    result = import_csv(runtime, file, actor, presigned)
    if json_output:
        print_json(result)
    else:
        typer.echo(f"{result['rows']} rows read, {result['recorded']} new or changed recorded")


@jurisdictions_app.command("list")
def list_jurisdictions(json_output: JsonOption = False) -> None:
    """List imported jurisdictions."""
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep CLI start-up light

    rows = [row.model_dump() for _, row in sorted(get_runtime().registry().items())]
    if json_output:
        print_json(rows)
        return
    for row in rows:
        line = f"{row['slug']:40} {row['geoid']:>8} {row['state']}  {row['name']}"
        typer.echo(safe_text(line, one_line=True))
