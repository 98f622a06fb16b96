"""A refused deployment run logs one line: Prefect's engine's echo of it is dropped."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest
from prefect.exceptions import FailedRun

from flows import REFUSAL_PREFIX, RUN_LOGGER, RefusalEchoFilter, refused


def _record(error: BaseException | None) -> logging.LogRecord:
    """A record as the engine logs it: `exc_info` set from the exception it re-raised."""
    exc_info = None
    if error is not None:
        try:
            raise error
        except type(error):
            exc_info = sys.exc_info()
    return logging.LogRecord(
        RUN_LOGGER, logging.ERROR, __file__, 1, "Engine execution exited", None, exc_info
    )


@pytest.fixture
def run_logger() -> Iterator[logging.Logger]:
    """The run logger, without the filters a test adds."""
    logger = logging.getLogger(RUN_LOGGER)
    before = list(logger.filters)
    yield logger
    logger.filters[:] = before


def test_the_filter_drops_only_the_engines_echo_of_a_refusal() -> None:
    """A FailedRun carrying a refusal is dropped; other failures and plain lines are kept."""
    echo = RefusalEchoFilter()
    assert echo.filter(_record(FailedRun(f"{REFUSAL_PREFIX}an act is needed"))) is False
    assert echo.filter(_record(FailedRun("Run failed."))) is True
    assert echo.filter(_record(ValueError(f"{REFUSAL_PREFIX}not a FailedRun"))) is True
    assert echo.filter(_record(None)) is True


def test_a_refusal_installs_the_filter_once_and_fails_in_one_line(
    run_logger: logging.Logger,
) -> None:
    """Two refusals in one process: one filter; the state's message is a single line."""
    first = refused(ValueError("an act\nis needed"))
    refused(ValueError("again"))
    assert sum(isinstance(found, RefusalEchoFilter) for found in run_logger.filters) == 1
    assert first.is_failed()
    assert first.message == f"{REFUSAL_PREFIX}an act is needed"
