"""structlog set-up: JSON lines for machines, a console renderer in a terminal.

Every line on stderr goes through it, ours and third parties' (urllib3, botocore, Prefect):
the root stdlib logger gets one handler whose `structlog.stdlib.ProcessorFormatter`
renders foreign records exactly as ours, at the level the CLI sets. Prefect's own console
handler is taken off the root; its API handlers (run logs in the UI) stay where they are.

Prefect also gives `prefect._internal`, `uvicorn` and `fastapi` stderr handlers of their own
that do not propagate, and sets them up again whenever it configures logging (on import,
after ours in the CLI). Its documented overrides (`PREFECT_LOGGING_HANDLERS_<NAME>_CLASS`)
make those handlers `ToStructlog`, which hands each record to our root handler; the
handlers already made in this process are swapped for it too.

With `GRANTREVIEW_QUIET_RUN_LINES=1` (the CLI sets it unless --debug) Prefect's flow- and
task-run lines stay off stderr: a failing flow's two traceback lines would repeat the one
`error:` line the CLI prints (issue #13); they still reach the UI.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import Final, TextIO, cast

import structlog

__all__ = [
    "PREFECT_STDERR_HANDLERS",
    "QUIET_RUN_LINES_ENV",
    "StructlogHandler",
    "ToStructlog",
    "configure_logging",
    "get_logger",
]

PREFECT_STDERR_HANDLERS: Final = {
    "console": ("uvicorn", "fastapi"),
    "debug": ("prefect._internal",),
}
"""Prefect's logging.yml handlers that write to stderr, and its loggers that keep them."""
QUIET_RUN_LINES_ENV = "GRANTREVIEW_QUIET_RUN_LINES"
"""Set to 1 to keep Prefect's flow- and task-run lines off stderr (they still reach the UI)."""
_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


def configure_logging(level: str = "INFO", *, json_lines: bool | None = None) -> None:
    """Log to stderr (stdout stays for command output): JSON unless stderr is a terminal."""
    use_json = not sys.stderr.isatty() if json_lines is None else json_lines
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    )
    stream = cast("TextIO", _LossTolerant(sys.stderr))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    _route_stdlib(StructlogHandler(stream, renderer), level)


class StructlogHandler(logging.StreamHandler[TextIO]):
    """A stdlib handler that renders each record with structlog's processors (level, time)."""

    def __init__(self, stream: TextIO, renderer: structlog.typing.Processor) -> None:
        super().__init__(stream)
        self.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=[
                    structlog.stdlib.add_log_level,
                    structlog.stdlib.add_logger_name,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                ],
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
            )
        )


def _route_stdlib(handler: StructlogHandler, level: str) -> None:
    """Make `handler` the root's one stderr handler; Python warnings become log records too.

    Other handlers on the root (a test's log capture) stay; an earlier StructlogHandler and
    Prefect's console handler go, so no line is written twice or in another format.
    """
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, StructlogHandler | ToStructlog) or _is_prefect_console(existing):
            root.removeHandler(existing)
    handler.setLevel(logging.getLevelName(level))
    if os.environ.get(QUIET_RUN_LINES_ENV) == "1":
        handler.addFilter(_no_run_lines)
    root.addHandler(handler)
    root.setLevel(logging.getLevelName(level))
    logging.captureWarnings(capture=True)
    _route_prefect_stderr()


def _route_prefect_stderr() -> None:
    """Prefect's non-propagating stderr handlers become `ToStructlog`, now and at each set-up.

    The environment carries the override to the processes Prefect starts from this one.
    """
    for name, loggers in PREFECT_STDERR_HANDLERS.items():
        os.environ.setdefault(
            f"PREFECT_LOGGING_HANDLERS_{name.upper()}_CLASS", f"{__name__}.ToStructlog"
        )
        for logger in map(logging.getLogger, loggers):
            for existing in list(logger.handlers):
                if _is_prefect_console(existing):
                    logger.removeHandler(existing)
                    logger.addHandler(ToStructlog(level=existing.level))


class ToStructlog(logging.Handler):
    """Hands each record to the root's StructlogHandler: Prefect's stderr handlers, replaced.

    Prefect builds it from its logging.yml entry (stream, styles, formatter are not needed:
    the root handler renders). In a process that has not configured logging yet, the
    first record configures it from GRANTREVIEW_LOG_LEVEL, as `get_logger` does.
    """

    def __init__(
        self, *_args: object, level: int | str = logging.NOTSET, **_kwargs: object
    ) -> None:
        super().__init__(level)

    def emit(self, record: logging.LogRecord) -> None:
        """Render `record` through our root handler, at that handler's level."""
        ours = _root_handlers()
        if not ours:
            configure_logging(os.environ.get("GRANTREVIEW_LOG_LEVEL", "INFO").upper())
            ours = _root_handlers()
        for handler in ours:
            if record.levelno >= handler.level:
                handler.handle(record)


def _root_handlers() -> list[StructlogHandler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, StructlogHandler)]


def _no_run_lines(record: logging.LogRecord) -> bool:
    """False for a Prefect flow- or task-run record: it stays off stderr."""
    return not record.name.startswith(_RUN_LOGGERS)


def _is_prefect_console(handler: logging.Handler) -> bool:
    """Prefect's console handler, found without importing Prefect (the CLI starts faster)."""
    return type(handler).__module__.startswith("prefect.") and isinstance(
        handler, logging.StreamHandler
    )


class _LossTolerant:
    """A stream that drops a line it cannot deliver instead of failing the caller.

    A worker reads its flow runs' output through a pipe; when the worker dies, a write
    raises BrokenPipeError, which would fail a run whose work is fine. The S3 log is the
    record; a diagnostic line with no reader left is dropped.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write `text`; 0 when the reader is gone."""
        try:
            return self._stream.write(text)
        except (OSError, ValueError):  # broken pipe, closed stream
            return 0

    def flush(self) -> None:
        """Flush, unless the reader is gone."""
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """A bound logger; bind program, jurisdiction and flow run id at the call site.

    In a process that never configured logging (a flow run a worker started), this
    configures it from GRANTREVIEW_LOG_LEVEL first.
    """
    if not structlog.is_configured():
        configure_logging(os.environ.get("GRANTREVIEW_LOG_LEVEL", "INFO").upper())
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger
