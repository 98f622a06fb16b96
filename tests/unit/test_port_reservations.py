"""A reserved port is handed to nobody else, yet the service we start can listen on it."""

from __future__ import annotations

import socket

import pytest

from localdev import PortReservations, reserve_port


def _listener(port: int) -> socket.socket:
    """What Go's and uvicorn's listeners do: SO_REUSEADDR, bind, listen."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    return server


def test_the_service_listens_on_a_reserved_port() -> None:
    """A listener binds the held port while the reservation stands; clients connect to it."""
    with PortReservations() as reserved:
        port = reserved.take()
        with _listener(port), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass


def test_a_held_port_is_not_handed_out_again() -> None:
    """While held, neither a plain bind of that port nor 200 requests for a free one get it."""
    with reserve_port() as held:
        port = held.getsockname()[1]
        plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        with plain, pytest.raises(OSError, match="in use"):
            plain.bind(("127.0.0.1", port))
        with PortReservations() as others:
            assert port not in {others.take() for _ in range(200)}
