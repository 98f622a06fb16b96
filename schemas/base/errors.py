"""Error kinds the CLI maps to exit codes (cli/main.py): every error class derives from one.

Bad input is exit 2; damaged data read from the log is exit 3 (with the adapters' kinds in
infra/errors.py); findings are exit 1; a control signal that escapes is a bug (exit 70).
"""

from __future__ import annotations

__all__ = ["ControlSignal", "DamagedDataError", "FindingsError", "InputError"]


class InputError(ValueError):
    """Input the user can fix: a bad id, file, program or option. Nothing was written."""


class DamagedDataError(ValueError):
    """Bytes read from the log that are not what they claim: a problem in something signed.

    A commit, a checkpoint, a note, a tile, a batch or an event that does not parse or
    verify; never the user's doing.
    """


class FindingsError(RuntimeError):
    """An audit found problems: the run fails so it shows red (exit 1 if it reaches the CLI)."""


class ControlSignal(Exception):  # noqa: N818 - not an error: a signal to unwind
    """Raised and caught inside one module to unwind a computation; one that escapes is a bug."""
