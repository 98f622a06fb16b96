"""The `grantreview` console entry point: the process around the CLI, tuned for start-up.

Two costs that are the process's, not the command's: the cyclic garbage collector runs
hundreds of times while Prefect and pydantic build their classes at import (~0.2 s), and
the interpreter's teardown of that object graph after the work is done (~0.5 s).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import os
import sys

__all__ = ["run"]

_YOUNG_GENERATION_THRESHOLD = 20_000
"""Allocations between young-generation collections (Python's default is 700)."""


def run() -> None:
    """Run the CLI, then exit without tearing the interpreter down.

    Our exit handler is registered first, so it runs last: after the threads were joined
    and every other exit handler (Prefect's event and log drains) has run.
    """
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(_YOUNG_GENERATION_THRESHOLD, older, oldest)
    outcome = {"code": 0}
    atexit.register(_exit_without_teardown, outcome)
    from cli import main as cli  # noqa: PLC0415 - after the collector is tuned
    from cli._common import ExitCode  # noqa: PLC0415 - likewise

    try:
        cli.main()
    except SystemExit as done:
        outcome["code"] = _exit_status(done.code)
        raise
    except BaseException:
        outcome["code"] = ExitCode.INTERNAL  # an error that escaped main is a bug
        raise


def _exit_status(code: object) -> int:
    """The process status `sys.exit(code)` gives (a message means 1, as Python does)."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def _exit_without_teardown(outcome: dict[str, int]) -> None:
    """Flush what the user must see, then leave at once with the command's status."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to deliver
            stream.flush()
    os._exit(outcome["code"])
