"""How a run started from the UI ends when its input or a person's act is refused: one line.

A refusal (`InputError`: bad input, an act missing, unsigned or not allowed) is the
operator's to fix, not Prefect's to retry, and a traceback in the run's logs reads like a
crash. So the flow logs one line saying what to do and returns Prefect's `Failed` state
with that message: Prefect takes a State a flow returns as the run's final state. Nothing
was written (every refusal is raised before the first write). The state keeps the error as
its data, so a caller running the flow in-process (the CLI) gets that very error raised:
exit 2 with its one line, as without Prefect.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from prefect import get_run_logger
from prefect.exceptions import MissingContextError
from prefect.states import Failed

__all__ = ["refused"]


def refused(error: Exception) -> Any:  # noqa: ANN401 - a State, returned as the flow's result
    """Log `error` as one line and return the `Failed` state that ends the run with it."""
    message = f"refused, nothing written: {' '.join(str(error).split())}"
    with suppress(MissingContextError):  # the bare function (`flow.fn`), outside any run
        get_run_logger().error(message)
    return Failed(message=message, data=_bare(error))


def _bare(error: Exception) -> Exception:
    """The error without its traceback or chain.

    A deployment run's engine logs the data of a Failed state as a traceback, which must not
    read like a crash in our code.
    """
    error.__cause__ = error.__context__ = None
    error.__suppress_context__ = True
    return error.with_traceback(None)
