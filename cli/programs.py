"""`grantreview programs`: check and list the program files policy analysts write."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli._common import fail, print_json
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
