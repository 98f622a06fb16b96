"""`grantreview documents show`: print a stored letter, notice or response."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli._render import safe_text
from schemas.base.ids import check_slug

__all__ = ["documents_app"]

documents_app = typer.Typer(help="Read what was sent and received, as the log stores it.")


@documents_app.command("show")
def show(
    jurisdiction: Annotated[str, typer.Argument(help="Jurisdiction slug.")],
    program: Annotated[str, typer.Option("--program", "-p", help="Program id.")],
    seq: Annotated[
        int | None, typer.Option("--seq", min=0, help="The document of commit N.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", metavar="letter|notice|response", help="The newest of a kind."),
    ] = None,
    *,
    raw: Annotated[bool, typer.Option("--raw", help="The stored bytes, unchanged.")] = False,
) -> None:
    """Print a letter, notice or response (default: the newest); read-only.

    On a terminal the text is shown with control characters made visible; `--raw` writes
    the exact stored bytes (their SHA-256 is the one the log cites).
    """
    check_slug(program, "program id")
    check_slug(jurisdiction, "jurisdiction slug")
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep start-up light
    from usecases.documents import find_document  # noqa: PLC0415

    found = find_document(get_runtime(), program, jurisdiction, seq=seq, kind=kind)
    if raw:
        sys.stdout.buffer.write(found.body)
        sys.stdout.flush()
        return
    typer.echo(f"{found.kind}, commit {found.seq}, sha256 {found.sha256}", err=True)
    typer.echo(safe_text(found.body.decode("utf-8", "replace")))
