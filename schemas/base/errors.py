"""Error kinds the CLI maps to exit codes: bad input is always exit 2."""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Input the user can fix: a bad id, file, program or option. Nothing was written."""
