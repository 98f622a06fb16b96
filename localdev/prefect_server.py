"""Start and stop a local Prefect server (SQLite or PostgreSQL) on loopback, for tests."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Self

from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from localdev._ports import PortReservations
from localdev._services import LocalService, stop_process

__all__ = ["LOCAL_PREFECT", "QUIET_PREFECT", "PrefectServer"]

LOCAL_PREFECT = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}
"""For people using the local services: no telemetry; run logs reach the UI (the CLI keeps
its own stderr quiet, cli/main.py), so the run page shows what happened."""

QUIET_PREFECT = {
    **LOCAL_PREFECT,
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
    "PREFECT_UI_ENABLED": "false",
}
"""For tests: thousands of runs, nobody reading them, so no UI and no run logs sent to the API
(each log line would be another request on a loaded test server)."""


class PrefectServer(LocalService):
    """`prefect server start` in a subprocess with its home (and SQLite file) under `home`."""

    def __init__(self, home: Path, *, database_url: str | None = None, port: int = 0) -> None:
        """`port` 0: any free port, held until the server answers."""
        self.home = home
        self.database_url = database_url
        self.port = port
        self.fixed_port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        """The API URL clients set as PREFECT_API_URL."""
        return f"http://127.0.0.1:{self.port}/api"

    def env(self) -> dict[str, str]:
        """Environment for a client of this server."""
        return {**QUIET_PREFECT, "PREFECT_API_URL": self.api_url, "PREFECT_HOME": str(self.home)}

    def start(
        self, timeout: float = 90.0, *, same_port: bool = False, detached: bool = False
    ) -> Self:
        """Start the server (on a fresh port, or its previous one) and wait for its health.

        A `detached` server (`make up`) serves the UI and outlives this process.
        """
        self.home.mkdir(parents=True, exist_ok=True)
        with PortReservations() as reserved:
            wanted = self.port if same_port and self.port else self.fixed_port
            self.port = reserved.take(wanted)
            self._launch(detached=detached)
            self._wait_healthy(timeout)
        return self

    def _launch(self, *, detached: bool) -> None:
        env = {**os.environ, **QUIET_PREFECT, "PREFECT_HOME": str(self.home)}
        if detached:
            env["PREFECT_UI_ENABLED"] = "true"
        env.pop("PREFECT_API_URL", None)
        if self.database_url:
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = self.database_url
        prefect = str(Path(sys.executable).with_name("prefect"))
        with (self.home / "server.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own venv
                [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                stdin=subprocess.DEVNULL if detached else None,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_healthy(self, timeout: float) -> None:
        """Poll /health (tenacity) until it answers; a server that exited is reported at once."""

        def healthy() -> None:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"prefect server exited; see {self.home / 'server.log'}")
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2):  # noqa: S310 - loopback
                return

        retrying = Retrying(
            retry=retry_if_exception_type(OSError),  # URLError and timeouts are OSErrors
            stop=stop_after_delay(timeout),
            wait=wait_fixed(0.3),
            reraise=True,
        )
        try:
            retrying(healthy)
        except OSError:
            self.stop()
            raise TimeoutError(f"Prefect server did not answer within {timeout:.0f}s") from None

    def stop(self) -> None:
        """Stop the server."""
        if self.process is None:
            return
        stop_process(self.process, timeout=20)
        self.process = None

    def restart(self, timeout: float = 90.0) -> Self:
        """Stop and start again on the same port and home (same database; clients reconnect)."""
        self.stop()
        return self.start(timeout, same_port=True)
