"""`preview`: what a court order would change, and the notices it would send; writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli._common import print_json
from cli._options import AsOfOption, JsonOption, ProgramOption, parse_moment
from cli._render import safe_cell, safe_text
from schemas.base.ids import check_slug

if TYPE_CHECKING:
    from schemas.planning.preview import OrderPreview

__all__ = ["preview"]


def _print_text(found: OrderPreview) -> None:
    from rich.console import Console  # noqa: PLC0415 - keep CLI start-up light
    from rich.table import Table  # noqa: PLC0415

    console = Console(width=160)
    if found.changed:
        table = Table("jurisdiction", "before", "after", "award action", "reasons", show_lines=True)
        for row in found.changed:
            table.add_row(
                *(safe_cell(str(row[k] or "")) for k in ("jurisdiction", "before", "after")),
                safe_cell(str(row["award_action"] or "")),
                safe_cell("\n".join(row["reasons"])),
            )
        console.print(table)
    for row in found.unchanged:
        typer.echo(safe_text(f"unchanged: {row['jurisdiction']}: {row['why']}", one_line=True))
    for row in found.changed:
        if row["notice_draft"] is not None:
            heading = f"--- revision notice for {row['jurisdiction']} (as review sends it) ---"
            typer.echo(safe_text(heading))
            typer.echo(safe_text(row["notice_draft"]))
    typer.echo(
        safe_text(
            f"{found.program} with order {found.order}, as of {found.as_of.isoformat()}: "
            f"would change {len(found.changed)}, unchanged {len(found.unchanged)}; "
            f"nothing written; preview sha256 {found.sha256}",
            one_line=True,
        )
    )


def preview(  # noqa: PLR0917 - Typer passes every option by name; the signature is the CLI
    program: ProgramOption,
    order: Annotated[
        Path,
        typer.Option(
            "--order", metavar="FILE.yaml", help="One court_orders entry: new, or an id changed."
        ),
    ],
    as_of: AsOfOption = None,
    known_at: Annotated[
        str | None, typer.Option("--known-at", help="When the office learned (default: --as-of).")
    ] = None,
    json_output: JsonOption = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", metavar="FILE.html", help="Also write the preview as an HTML report."
        ),
    ] = None,
) -> None:
    """Evaluate every decided review with a court order added or changed; writes nothing.

    Nothing is written to the log; `--report` writes only the local HTML file.
    """
    check_slug(program, "program id")
    moment = parse_moment(as_of)
    knowledge = parse_moment(known_at, "--known-at")
    from infra.files.preview_html import write_preview  # noqa: PLC0415 - keep start-up light
    from infra.files.programs import load_order_file  # noqa: PLC0415
    from infra.files.report_html import check_report_path  # noqa: PLC0415
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.preview import preview_order  # noqa: PLC0415

    if report is not None:
        check_report_path(report)  # before the preview, which reads every stream
    entry = load_order_file(order)
    found = preview_order(
        get_runtime(), program, entry, source=str(order), as_of=moment, known_at=knowledge
    )
    if report is not None:
        write_preview(found, report)
    if json_output:
        print_json(found.document() | {"preview_sha256": found.sha256})
    else:
        _print_text(found)
