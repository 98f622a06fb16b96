"""What the local service launchers share: stopping a child process, context management."""

from __future__ import annotations

import subprocess
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

__all__ = ["LocalService", "stop_process"]


def stop_process(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Terminate, wait up to `timeout` seconds, then kill."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class LocalService(ABC):
    """A service started for tests, benchmarks or the demo; `with` starts and stops it."""

    @abstractmethod
    def start(self) -> Self:
        """Start the service and wait until it answers."""

    @abstractmethod
    def stop(self) -> None:
        """Stop the service (idempotent)."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
