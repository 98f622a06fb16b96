"""Help without type labels: `--program PROGRAM`, not `--program <str>`; flags show none.

Typer 0.29 prints every parameter's Python type (`<bool>`, `<str>`, `<list[str]>`) and
offers no switch to turn it off. Operators read `PROGRAM`, `DATE`, `FILE` (each option's
metavar) or nothing; the help sentence says the rest. Applied once, when `cli.main` loads.
"""

from __future__ import annotations

from typer.core import TyperArgument, TyperOption

__all__ = ["hide_type_labels"]


def _argument_label(_self: TyperArgument, ctx: object) -> str | None:  # noqa: ARG001 - Typer's signature
    """An argument is named by its metavar already (`SLUG...`): no type after it."""
    return None


def _option_label(self: TyperOption, ctx: object) -> str | None:  # noqa: ARG001 - Typer's signature
    """A value option shows its metavar (`PROGRAM`); a flag shows nothing."""
    if self.is_flag:
        return None
    metavar: str | None = self.metavar
    return metavar


def hide_type_labels() -> None:
    """Replace Typer's type labels in help by metavars (idempotent)."""
    TyperArgument.display_type_rich = _argument_label  # type: ignore[method-assign,assignment] # no switch in Typer 0.29
    TyperOption.display_type_rich = _option_label  # type: ignore[method-assign] # likewise
