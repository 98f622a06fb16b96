"""`grantreview checkpoint`, `receipt` and `verify-receipt`: the transparency log by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from cli._common import ExitCode, fail, print_json
from cli._render import safe_text
from schemas.ids import check_slug

__all__ = ["checkpoint", "receipt", "verify_receipt_command"]

_MAX_RECEIPT_BYTES = 4 * 1024 * 1024


def checkpoint() -> None:
    """Integrate every pending commit and sign a checkpoint now (exit 0 if nothing was pending)."""
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep start-up light
    from usecases.receipts import checkpoint_now  # noqa: PLC0415

    key = checkpoint_now(get_runtime())
    typer.echo(f"checkpoint: {key or 'none'}")


def receipt(
    jurisdiction: Annotated[str, typer.Argument(help="Jurisdiction slug.")],
    program: Annotated[str, typer.Option("--program", "-p", help="Program id.")],
    seq: Annotated[int | None, typer.Option("--seq", min=0, help="Commit seq.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the receipt here.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the receipt JSON.")] = False,
) -> None:
    """A receipt proving one commit (default: the latest decision) is in the log; read-only."""
    check_slug(program, "program id")
    check_slug(jurisdiction, "jurisdiction slug")
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep start-up light
    from usecases.receipts import make_receipt  # noqa: PLC0415

    document = make_receipt(get_runtime(), program, jurisdiction, seq).model_dump(mode="json")
    if out is not None:
        out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if json_output or out is None:
        print_json(document)
    else:
        typer.echo(f"receipt: {out} (leaf {document['leaf_index']} of {document['tree_size']})")


def verify_receipt_command(
    file: Annotated[Path, typer.Argument(help="A receipt written by `grantreview receipt`.")],
    verify_key: Annotated[
        Path | None,
        typer.Option("--verify-key", help="Keyring; default GRANTREVIEW_VERIFY_KEY_FILE."),
    ] = None,
) -> None:
    """Check a receipt offline with only the log's public key: exit 0, or 1 naming the failure."""
    from infra.keys import load_keyring  # noqa: PLC0415 - keep start-up light
    from infra.settings import get_settings  # noqa: PLC0415
    from schemas.receipt import Receipt  # noqa: PLC0415
    from usecases.receipts import receipt_problems  # noqa: PLC0415

    path = verify_key or get_settings().verify_key_file
    if path is None:
        fail("no verify key: pass --verify-key FILE or set GRANTREVIEW_VERIFY_KEY_FILE")
    keyring = load_keyring(path)
    try:
        raw = file.read_bytes()[: _MAX_RECEIPT_BYTES + 1]
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror}")
    if len(raw) > _MAX_RECEIPT_BYTES:
        fail(f"{file} is larger than a receipt can be")
    try:
        document = Receipt.model_validate_json(raw)
    except ValidationError as error:
        typer.echo(safe_text(f"FAILED: malformed: {error.errors()[0]['msg']}", one_line=True))
        raise typer.Exit(int(ExitCode.FINDING)) from None
    problems = receipt_problems(document, keyring)
    for problem in problems:
        typer.echo(safe_text(f"FAILED: {problem}", one_line=True))
    if problems:
        raise typer.Exit(int(ExitCode.FINDING))
    typer.echo(f"ok: {document.key} is leaf {document.leaf_index} of {document.tree_size}")
