"""Every log line on stderr is structlog's: ours, urllib3's, botocore's, Prefect's."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from infra.platform.logging import (
    PREFECT_STDERR_HANDLERS,
    StructlogHandler,
    configure_logging,
    get_logger,
)


@pytest.fixture
def routed() -> Iterator[None]:
    """configure_logging's root handler for one test, then the root as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(capture=False)


def _lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


@pytest.mark.usefixtures("routed")
def test_third_party_records_are_json_lines_at_the_cli_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """urllib3, botocore and Prefect records render as JSON; below the level, nothing."""
    configure_logging("WARNING", json_lines=True)
    logging.getLogger("urllib3.connectionpool").warning("Connection pool is full: %s", "x")
    logging.getLogger("botocore.retryhandler").warning("retrying")
    logging.getLogger("prefect.flow_engine").error("flow failed")
    logging.getLogger("urllib3.connectionpool").info("below the level")
    get_logger("grantreview.test").warning("ours", jurisdiction="stockton-ca")
    lines = _lines(capsys.readouterr().err)  # a non-JSON line fails here
    events = [(line["level"], line["event"]) for line in lines]
    assert ("warning", "Connection pool is full: x") in events
    assert ("warning", "retrying") in events
    assert ("error", "flow failed") in events
    assert ("warning", "ours") in events
    assert all(event != "below the level" for _, event in events)
    assert lines[0]["logger"] == "urllib3.connectionpool"
    assert "timestamp" in lines[0]


@pytest.mark.usefixtures("routed")
def test_prefect_console_handler_is_replaced(capsys: pytest.CaptureFixture[str]) -> None:
    """Prefect's own logging set-up leaves one route to stderr: ours (no `|` formatted line)."""
    import prefect.logging.configuration  # noqa: PLC0415 - Prefect sets up its logging on import

    prefect.logging.configuration.setup_logging(incremental=False)
    configure_logging("INFO", json_lines=True)
    prefect.logging.configuration.setup_logging(incremental=True)
    logging.getLogger("prefect.client").warning("api slow")
    lines = _lines(capsys.readouterr().err)
    assert [line["event"] for line in lines] == ["api slow"]
    ours = [h for h in logging.getLogger().handlers if isinstance(h, StructlogHandler)]
    assert len(ours) == 1


def _prefect_own_loggers_write_json(capsys: pytest.CaptureFixture[str]) -> None:
    """Log on Prefect's non-propagating loggers; every stderr line must be one of ours."""
    logging.getLogger("prefect._internal.concurrency").error("service stuck")
    logging.getLogger("uvicorn.error").error("server error")
    logging.getLogger("fastapi").error("route failed")
    lines = _lines(capsys.readouterr().err)  # a `|`-formatted Prefect line fails here
    assert [(line["logger"], line["event"]) for line in lines] == [
        ("prefect._internal.concurrency", "service stuck"),
        ("uvicorn.error", "server error"),
        ("fastapi", "route failed"),
    ]


@pytest.fixture
def prefect_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Prefect's handler overrides unset before the test, and Prefect's set-up redone after."""
    import prefect.logging.configuration  # noqa: PLC0415 - Prefect sets up its logging on import

    for name in PREFECT_STDERR_HANDLERS:
        monkeypatch.delenv(f"PREFECT_LOGGING_HANDLERS_{name.upper()}_CLASS", raising=False)
        # An in-process CLI run earlier in this worker quiets Prefect's console handlers.
        monkeypatch.delenv(f"PREFECT_LOGGING_HANDLERS_{name.upper()}_LEVEL", raising=False)
    yield
    monkeypatch.undo()
    prefect.logging.configuration.setup_logging(incremental=False)


@pytest.mark.usefixtures("routed", "prefect_env")
def test_prefect_internal_and_server_loggers_are_routed_when_prefect_came_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Handlers Prefect made before ours (a flow-run process) are swapped for ours."""
    import prefect.logging.configuration  # noqa: PLC0415 - Prefect sets up its logging on import

    prefect.logging.configuration.setup_logging(incremental=False)
    configure_logging("WARNING", json_lines=True)
    _prefect_own_loggers_write_json(capsys)


@pytest.mark.usefixtures("routed", "prefect_env")
def test_prefect_internal_and_server_loggers_are_routed_when_prefect_comes_after(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Prefect's set-up after ours (the CLI imports Prefect late) builds our handler instead."""
    import prefect.logging.configuration  # noqa: PLC0415 - Prefect sets up its logging on import

    configure_logging("WARNING", json_lines=True)
    prefect.logging.configuration.setup_logging(incremental=False)
    prefect.logging.configuration.setup_logging(incremental=True)
    _prefect_own_loggers_write_json(capsys)
    ours = [h for h in logging.getLogger().handlers if isinstance(h, StructlogHandler)]
    assert len(ours) == 1
