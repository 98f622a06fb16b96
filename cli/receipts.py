"""`grantreview checkpoint`, `receipt` and `verify-receipt`: the transparency log by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from cli._common import ExitCode, fail, print_json
from cli._render import safe_text
from schemas.base.ids import check_slug

__all__ = ["checkpoint", "receipt", "verify_receipt_command"]


def checkpoint(
    json_output: Annotated[
        bool, typer.Option("--json", help="One JSON document: the checkpoint's key.")
    ] = False,
) -> None:
    """Integrate every pending commit and sign a checkpoint now (exit 0 if nothing was pending)."""
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep start-up light
    from usecases.receipts import checkpoint_now  # noqa: PLC0415

    key = checkpoint_now(get_runtime())
    if json_output:
        typer.echo(json.dumps({"checkpoint": key}))
        return
    typer.echo(f"checkpoint: {key or 'none'}")


def receipt(  # noqa: PLR0917 - Typer passes every option by name; the signature is the CLI
    jurisdiction: Annotated[str, typer.Argument(help="Jurisdiction slug.")],
    program: Annotated[str, typer.Option("--program", "-p", help="Program id.")],
    seq: Annotated[int | None, typer.Option("--seq", min=0, help="Commit seq.")] = None,
    event: Annotated[
        str | None,
        typer.Option(
            "--event",
            metavar="TYPE",
            help="The newest commit carrying this event type (e.g. decision.issued).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the receipt here (e.g. FILE.tlog-proof).")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="The grantreview.receipt/1 JSON, not a tlog-proof.")
    ] = False,
) -> None:
    """A C2SP tlog-proof that one commit (default: the decision in force) is in the log; read-only.

    The proof (c2sp.org/tlog-proof@v1) carries the commit's bytes in its extra line, so
    `verify-receipt` and others' tools check it offline with the log's public key alone.
    Which record it covers (stream, seq, events, stage, decision) is read from those bytes.
    """
    check_slug(program, "program id")
    check_slug(jurisdiction, "jurisdiction slug")
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep start-up light
    from schemas.tlog.receipt import tlog_proof_of  # noqa: PLC0415
    from usecases.receipts import make_receipt, proven_subject  # noqa: PLC0415

    made = make_receipt(get_runtime(), program, jurisdiction, seq, event)
    covers = safe_text(proven_subject(made), one_line=True)
    document = made.model_dump(mode="json")
    text = json.dumps(document, indent=2) + "\n" if json_output else tlog_proof_of(made).text()
    if out is not None:
        out.write_bytes(text.encode())
        typer.echo(f"receipt: {out} (leaf {made.leaf_index} of {made.tree_size})")
        typer.echo(covers)
        return
    typer.echo(covers, err=True)  # stdout is the receipt itself, byte for byte
    if json_output:
        print_json(document)
    else:
        typer.echo(text.encode(), nl=False)


def verify_receipt_command(
    file: Annotated[
        Path, typer.Argument(help="A receipt by `grantreview receipt`: tlog-proof or JSON.")
    ],
    verify_key: Annotated[
        Path | None,
        typer.Option("--verify-key", help="Keyring; default GRANTREVIEW_VERIFY_KEY_FILE."),
    ] = None,
    witness: Annotated[
        list[str] | None,
        typer.Option(
            "--witness", help="A witness's cosignature vkey; each one given must have cosigned."
        ),
    ] = None,
) -> None:
    """Check a receipt offline with only the log's public key: exit 0, or 1 naming the failure.

    A C2SP tlog-proof (first line `c2sp.org/tlog-proof@v1`) and the older JSON receipt
    (`grantreview.receipt/1`) are both read.
    """
    from infra.identity.keys import load_keyring  # noqa: PLC0415 - keep start-up light
    from infra.platform.settings import get_settings  # noqa: PLC0415
    from schemas.tlog.proof import MAX_TLOG_PROOF_BYTES  # noqa: PLC0415
    from schemas.tlog.receipt import Receipt, parse_receipt  # noqa: PLC0415
    from usecases.receipts import (  # noqa: PLC0415
        proven_subject,
        receipt_problems,
        witness_problems,
        witness_verifiers,
    )

    witnesses = witness_verifiers(witness or [])
    path = verify_key or get_settings().verify_key_file
    if path is None:
        fail("no verify key: pass --verify-key FILE or set GRANTREVIEW_VERIFY_KEY_FILE")
    keyring = load_keyring(path)
    try:
        raw = file.read_bytes()[: MAX_TLOG_PROOF_BYTES + 1]
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror}")
    if len(raw) > MAX_TLOG_PROOF_BYTES:
        fail(f"{file} is larger than a receipt can be")
    try:
        document = parse_receipt(raw)
    except ValidationError as error:
        _malformed(error.errors()[0]["msg"])
    except ValueError as error:  # TlogProofError
        _malformed(str(error))
    problems = receipt_problems(document, keyring)
    problems += witness_problems(document.checkpoint, witnesses) if witnesses else []
    for problem in problems:
        typer.echo(safe_text(f"FAILED: {problem}", one_line=True))
    if problems:
        raise typer.Exit(int(ExitCode.FINDING))
    if isinstance(document, Receipt):
        typer.echo(f"ok: {document.key} is leaf {document.leaf_index} of {document.tree_size}")
    else:
        head = document.head()
        typer.echo(safe_text(f"ok: leaf {document.index} of {head.size} in {head.origin}"))
    typer.echo(safe_text(proven_subject(document), one_line=True))


def _malformed(reason: str) -> NoReturn:
    """A receipt that does not parse is a finding (exit 1), as a bad signature is."""
    typer.echo(safe_text(f"FAILED: malformed: {reason}", one_line=True))
    raise typer.Exit(int(ExitCode.FINDING))
