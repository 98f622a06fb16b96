"""CEL expressions: compiled once per source text, with the variables a program may read."""

from __future__ import annotations

import functools
import re
from typing import Any

import cel

from schemas.base.errors import InputError
from schemas.program.cel_cost import CelBudgetError, cost_bound

__all__ = [
    "APPLIES_WHEN_VARIABLES",
    "MET_WHEN_VARIABLES",
    "CelBudgetError",
    "CelCompileError",
    "answer_references",
    "compile_expression",
    "expression_variables",
    "make_context",
]

MET_WHEN_VARIABLES = frozenset({"answers", "response", "jurisdiction", "as_of"})
# applies_when decides whether a condition applies before any answer is read.
APPLIES_WHEN_VARIABLES = frozenset({"jurisdiction", "as_of"})

_ANSWER_REF = re.compile(r"\banswers\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")
# Macros bind their own loop variables, which the cel library reports as free variables.
_MACRO_BINDING = re.compile(
    r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,"
)
_PARSER_ERROR = re.compile(r"<input>:(\d+):(\d+): ([^\n|]*)")


class CelCompileError(InputError):
    """A CEL expression that does not compile or reads a variable it may not."""


def _first_line(message: str) -> str:
    found = _PARSER_ERROR.search(message)
    if found is None:
        return " ".join(message.split())
    line, column, detail = found.groups()
    return f"{detail.strip()} (line {line}, column {column})"


@functools.lru_cache(maxsize=4096)
def _bounded_program(source: str) -> Any:  # noqa: ANN401 - cel is untyped
    """Compile `source` (syntax errors first, in cel's words), then bound its cost."""
    try:
        program = cel.compile(source)
    except ValueError as error:
        raise CelCompileError(_first_line(str(error))) from None
    cost_bound(source)
    return program


@functools.lru_cache(maxsize=4096)
def compile_expression(source: str, allowed: frozenset[str]) -> Any:  # noqa: ANN401 - cel is untyped
    """The compiled program for `source` (cached): within the budget, reading only `allowed`."""
    program = _bounded_program(source)
    unknown = sorted(expression_variables(source) - allowed)
    if unknown:
        raise CelCompileError(
            f"unknown variable(s) {', '.join(unknown)}; it may read {', '.join(sorted(allowed))}"
        )
    return program


@functools.lru_cache(maxsize=4096)
def expression_variables(source: str) -> frozenset[str]:
    """The variables a compiled expression reads (macro loop variables excluded)."""
    variables = set(_bounded_program(source).variables()) - set(_MACRO_BINDING.findall(source))
    return frozenset(variables)


def make_context(variables: dict[str, Any]) -> Any:  # noqa: ANN401 - cel is untyped
    """One CEL context for several expressions: converting the variables once is much faster."""
    context = cel.Context()
    context.update(variables)
    return context


def answer_references(source: str) -> frozenset[str]:
    """The question ids an expression reads as `answers.<id>`."""
    return frozenset(_ANSWER_REF.findall(source))
