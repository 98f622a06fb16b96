"""README's command table and the CLI's own help cannot disagree: each names what the other has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from cli.main import app

README = Path(__file__).resolve().parents[2] / "README.md"
_ROW = re.compile(r"^\| `grantreview ([a-z][a-z-]*(?: [a-z][a-z-]*)?)(?:\s[^`]*)?` ")
_OPTION = re.compile(r"--[a-z][a-z0-9-]*")


def _cli_commands() -> dict[str, Any]:
    """Every command the CLI registers, by its path (`audit verify`), groups excluded.

    Typer vendors its own click: a group is whatever has `commands`.
    """
    root: Any = typer.main.get_command(app)
    found: dict[str, Any] = {}
    for name, command in root.commands.items():
        if hasattr(command, "commands"):
            found.update({f"{name} {sub}": c for sub, c in command.commands.items()})
        else:
            found[name] = command
    return found


def _readme_rows() -> dict[str, str]:
    """The command table's rows by command path, each with its first cell."""
    section = README.read_text().split("## The CLI", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        for cell in line.split("`grantreview ")[1:] if line.startswith("| `") else []:
            usage = "grantreview " + cell.split("`", 1)[0]
            words = usage.split()[1:3]
            path = " ".join(w for w in words if re.fullmatch(r"[a-z][a-z-]*", w))
            rows[path if path in _cli_commands() else words[0]] = usage
    return rows


def test_every_command_has_a_readme_row_and_every_row_a_command() -> None:
    """A command added without a row, or a row for a command that is gone, fails here."""
    commands, rows = set(_cli_commands()), set(_readme_rows())
    assert commands - rows == set(), "commands missing from README's table"
    assert rows - commands == set(), "README rows naming no command"


def test_every_option_a_readme_row_names_exists_in_that_commands_help() -> None:
    """`--json` on determine in the README means determine --help lists --json."""
    commands = _cli_commands()
    for path, usage in _readme_rows().items():
        known = {opt for param in commands[path].params for opt in param.opts}
        named = set(_OPTION.findall(usage))
        assert named <= known, f"{path}: README names {sorted(named - known)} that --help lacks"


def test_the_table_finds_rows_at_all() -> None:
    """The parser is not vacuous: it finds the commands the README has always listed."""
    assert {"review", "status", "inbox", "audit verify", "keys vkey"} <= set(_readme_rows())
