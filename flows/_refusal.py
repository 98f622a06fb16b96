"""How a run started from the UI ends when its input or a person's act is refused: one line.

A refusal (`InputError`: bad input, an act missing, unsigned or not allowed) is the
operator's to fix, not Prefect's to retry, and a traceback in the run's logs reads like a
crash. So the flow logs one line saying what to do and returns Prefect's `Failed` state
with that message: Prefect takes a State a flow returns as the run's final state. Nothing
was written (every refusal is raised before the first write). The state keeps the error as
its data, so a caller running the flow in-process (the CLI) gets that very error raised:
exit 2 with its one line, as without Prefect.

Prefect's engine, running a deployment's flow in its own process, then re-raises any
Failed result as a `FailedRun` and logs it to the run's logs as "Engine execution exited
with unexpected exception" with a traceback of its own frames. For a refusal that record
only repeats our line under a crash's look, so a filter on the run loggers drops exactly
that record: one whose exception is a `FailedRun` carrying a refusal's message. Any
other failure still logs its traceback.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any, Final

from prefect import get_run_logger
from prefect.exceptions import FailedRun, MissingContextError
from prefect.states import Failed

__all__ = ["REFUSAL_PREFIX", "RUN_LOGGER", "RefusalEchoFilter", "refused"]

REFUSAL_PREFIX: Final = "refused, nothing written: "
"""Every refusal's line (and the run's state message) starts with this."""

_MARK: Final = "grantreview_refusal"
"""Set on a refused error kept as a Failed state's data: the engine's echo of it is dropped."""

RUN_LOGGER: Final = "prefect.flow_runs"
"""The logger Prefect's engine logs a flow run's own lines to (its API handler sends them)."""


class RefusalEchoFilter(logging.Filter):
    """Drop the engine's re-raise of a refusal: a `FailedRun` whose message is a refusal."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False (drop) for the engine's echo of a refusal; True for every other record."""
        error = record.exc_info[1] if record.exc_info else None
        if getattr(error, _MARK, False):  # the refused error itself, kept as the state's data
            return False
        return not (isinstance(error, FailedRun) and str(error).startswith(REFUSAL_PREFIX))


def _install_filter() -> None:
    """Add the filter to the run logger once (in the process that runs the flow)."""
    logger = logging.getLogger(RUN_LOGGER)
    if not any(isinstance(found, RefusalEchoFilter) for found in logger.filters):
        logger.addFilter(RefusalEchoFilter())


def refused(error: Exception) -> Any:  # noqa: ANN401 - a State, returned as the flow's result
    """Log `error` as one line and return the `Failed` state that ends the run with it."""
    message = f"{REFUSAL_PREFIX}{' '.join(str(error).split())}"
    _install_filter()
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
    setattr(error, _MARK, True)
    return error.with_traceback(None)
