"""Exit codes and the one way a command fails: one clear line on stderr."""

from __future__ import annotations

import json
import sys
from enum import IntEnum
from typing import Any, NoReturn

import typer

from cli._render import safe_text

__all__ = ["ExitCode", "fail", "print_json"]


class ExitCode(IntEnum):
    """The CLI's documented exit codes."""

    OK = 0
    FINDING = 1
    BAD_INPUT = 2
    UNAVAILABLE = 3
    INTERNAL = 70


def fail(message: str, code: ExitCode = ExitCode.BAD_INPUT) -> NoReturn:
    """Print `error: message` on stderr (control characters shown inert) and exit with `code`."""
    typer.echo(f"error: {safe_text(message)}", err=True)
    raise typer.Exit(int(code))


def print_json(document: Any) -> None:  # noqa: ANN401 - any JSON document
    """Write one JSON document on stdout."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
