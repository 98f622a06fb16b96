"""`grantreview programs`: check and list the program files policy analysts write."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli._common import fail, print_json
from cli._options import ActFileOption, PrepareOption, SignatureFileOption
from cli._render import safe_text
from schemas.base.errors import InputError

if TYPE_CHECKING:
    from schemas.program.definition import ProgramBundle

__all__ = ["default_programs_dir", "programs_app"]

programs_app = typer.Typer(
    help="Check and list program files (questions, rule sets, court orders, notices).",
    no_args_is_help=True,
)

DirArgument = Annotated[
    Path | None,
    typer.Argument(
        help="Folder of program folders [default: GRANTREVIEW_PROGRAMS_DIR, else programs/].",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def default_programs_dir() -> Path:
    """GRANTREVIEW_PROGRAMS_DIR if set, else the repository's programs/ folder (via settings)."""
    from infra.platform.settings import get_settings  # noqa: PLC0415 - built at the entry point, not import

    return get_settings().programs_dir


def _load(directory: Path | None) -> list[ProgramBundle]:
    from infra.files.programs import check_programs  # noqa: PLC0415 - keep CLI start-up light

    try:
        return check_programs(directory if directory is not None else default_programs_dir())
    except InputError as error:
        fail(str(error))


def _summary(bundle: ProgramBundle) -> dict[str, object]:
    program = bundle.program
    return {
        "id": program.id,
        "title": program.title,
        "kind": program.kind.value,
        "rule_set_versions": [rule_set.version for rule_set in program.rule_sets],
        "court_orders": len(program.court_orders),
        "notices": len(program.notices),
        "sha256": bundle.sha256,
    }


@programs_app.command("check")
def check(directory: DirArgument = None, as_json: JsonOption = False) -> None:
    """Validate every program; exit 2 naming the file, entry and problem of the first bad one."""
    bundles = _load(directory)
    if as_json:
        print_json({"ok": True, "programs": [_summary(bundle) for bundle in bundles]})
        return
    for bundle in bundles:
        program = bundle.program
        versions = ", ".join(str(rule_set.version) for rule_set in program.rule_sets)
        line = (
            f"OK {program.id}: {len(program.questions)} questions, rule set versions {versions}, "
            f"{len(program.court_orders)} court orders, {len(program.notices)} notices, "
            f"sha256 {bundle.sha256[:16]}"
        )
        typer.echo(safe_text(line, one_line=True))


@programs_app.command("list")
def list_programs(directory: DirArgument = None, as_json: JsonOption = False) -> None:
    """List program ids and titles (refuses if any program is invalid)."""
    bundles = _load(directory)
    if as_json:
        print_json([_summary(bundle) for bundle in bundles])
        return
    for bundle in bundles:
        typer.echo(f"{bundle.program.id}\t{safe_text(bundle.program.title, one_line=True)}")


@programs_app.command("add-order")
def add_order(  # noqa: PLR0917 - Typer passes every option by name; the signature is the CLI
    program: Annotated[str, typer.Argument(metavar="PROGRAM", help="Program id.")],
    order: Annotated[
        Path, typer.Argument(metavar="FILE.yaml", help="One court_orders entry: new, or changed.")
    ],
    actor: Annotated[
        str, typer.Option("--actor", envvar="GRANTREVIEW_ACTOR", help="Your id in the people file.")
    ],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", help="The preview's date (default: now)."),
    ] = None,
    known_at: Annotated[
        str | None, typer.Option("--known-at", help="When the office learned (default: --as-of).")
    ] = None,
    preview_sha256: Annotated[
        str | None,
        typer.Option(
            "--preview-sha256",
            metavar="HASH",
            help="The hash `preview` printed (same --as-of): refused if the effect changed since.",
        ),
    ] = None,
    prepare: PrepareOption = False,
    act_file: ActFileOption = None,
    signature: SignatureFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a court order to a program as a new version: your signed act, with its preview's hash.

    The next `reevaluate` acts on it. Administrators and determining officials only.
    `--prepare` prints the act to sign elsewhere (the order's text, both program hashes and
    the preview's hash in it) and writes nothing; `grantreview submit` then records it.
    """
    from cli._options import parse_moment, read_presigned  # noqa: PLC0415 - light start-up
    from schemas.base.ids import check_slug  # noqa: PLC0415

    check_slug(program, "program id")
    if preview_sha256 is not None and re.fullmatch(r"[0-9a-f]{64}", preview_sha256) is None:
        fail("--preview-sha256 is 64 lowercase hex characters")
    presigned = read_presigned(act_file, signature, prepare=prepare)  # before any I/O
    moment = parse_moment(as_of)
    knowledge = parse_moment(known_at, "--known-at")
    from infra.files.programs import parse_order_text, read_order_text  # noqa: PLC0415
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.add_order import add_order as add  # noqa: PLC0415
    from usecases.add_order import prepare_add_order  # noqa: PLC0415

    text = read_order_text(order)
    entry = parse_order_text(text, str(order))
    if prepare:
        from cli.acts import print_prepared  # noqa: PLC0415

        prepared = prepare_add_order(
            get_runtime(),
            program,
            text,
            entry,
            source=str(order),
            actor=actor,
            as_of=moment,
            known_at=knowledge,
            expected_preview=preview_sha256,
        )
        print_prepared(prepared)
        return
    done = add(
        get_runtime(),
        program,
        text,
        entry,
        source=str(order),
        actor=actor,
        as_of=moment,
        known_at=knowledge,
        expected_preview=preview_sha256,
        presigned=presigned,
    )
    found = done.preview
    if as_json:
        print_json(
            {
                "act_id": done.act_id,
                "order": done.order_id,
                "program_before_sha256": done.program_before_sha256,
                "program_sha256": done.program_sha256,
                "preview_sha256": found.sha256,
                "changed": [row["jurisdiction"] for row in found.changed],
            }
        )
        return
    act = f"act {done.act_id}" if done.act_id else "already on record"
    typer.echo(
        safe_text(
            f"order {done.order_id} added to {program} ({act}): program sha256 "
            f"{done.program_sha256[:16]} (was {done.program_before_sha256[:16]}); preview "
            f"sha256 {found.sha256}: the next reevaluate changes {len(found.changed)}",
            one_line=True,
        )
    )
