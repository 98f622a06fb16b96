"""A reserved port is handed to nobody else, yet the service we start can listen on it."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import pytest

from localdev import PortReservations, postgres, reserve_port, seaweed


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


def test_postgres_holds_its_port_until_the_server_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While pg_ctl starts the cluster, a plain bind of its port fails: nobody can take it."""
    monkeypatch.setattr(postgres, "postgres_bin_dir", lambda: tmp_path)
    server = postgres.PostgresServer(tmp_path / "home")
    monkeypatch.setattr(server, "_make_root", lambda: tmp_path)
    held: dict[str, bool] = {}

    def run(*args: str) -> None:
        if args[0] == "pg_ctl":
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            with probe, contextlib.suppress(OSError):
                probe.bind(("127.0.0.1", server.port))
                held[args[1]] = False
                return
            held[args[1]] = True

    monkeypatch.setattr(server, "_run", run)
    server.start()
    assert server.port > 0
    assert held == {"start": True}
    assert not hasattr(seaweed, "free_port")  # the racy helper is gone
