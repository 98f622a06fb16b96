"""Loopback ports held until the service that will listen on them has started (no race).

`free_port()` used to bind port 0, read the number and close the socket: between that close
and the service's own bind, another process on the machine (tests run in parallel) could
take the port. A reservation keeps the socket bound with SO_REUSEADDR and never listens:
the kernel hands that port to nobody else asking for a free one, while the service (Go's
and uvicorn's listeners set SO_REUSEADDR too) may still bind and listen on it. The
reservation is released once the service answers.
"""

from __future__ import annotations

import socket
from contextlib import ExitStack

__all__ = ["PortReservations", "reserve_port"]


def reserve_port(port: int = 0) -> socket.socket:
    """A socket bound to 127.0.0.1:`port` (0: any free one), not listening; close to release."""
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("127.0.0.1", port))
    except OSError:
        held.close()
        raise
    return held


class PortReservations(ExitStack):
    """Ports held for one start of a service; leaving the `with` block releases them."""

    def take(self, port: int = 0) -> int:
        """Reserve `port` (0: a free one) until the block ends; the port number."""
        held = self.enter_context(reserve_port(port))
        number: int = held.getsockname()[1]
        return number
