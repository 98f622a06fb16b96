"""Start and stop a throwaway PostgreSQL cluster on loopback (the Prefect server's test database).

Uses the server binaries of Debian's `postgresql` package (/usr/lib/postgresql/<ver>/bin,
or `initdb` on PATH). PostgreSQL refuses to run as root, so as root the cluster is created
and run as the `postgres` system user (via `runuser`) in a directory that user owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final, Self

from localdev._ports import PortReservations
from localdev._services import LocalService

__all__ = ["APT_PACKAGE", "PostgresNotInstalledError", "PostgresServer", "postgres_bin_dir"]

APT_PACKAGE: Final = "postgresql"
"""The Debian package that provides the server binaries (`apt-get install -y postgresql`)."""
_DEBIAN_ROOT: Final = Path("/usr/lib/postgresql")
_SYSTEM_USER: Final = "postgres"
_DATABASE: Final = "prefect"


class PostgresNotInstalledError(RuntimeError):
    """No PostgreSQL server binaries (initdb, pg_ctl) on this machine."""


def postgres_bin_dir() -> Path:
    """The newest installed server binaries' folder; raises if PostgreSQL is not installed."""
    versions = sorted(
        (path.parent for path in _DEBIAN_ROOT.glob("*/bin/initdb")),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1]
    on_path = shutil.which("initdb")
    if on_path is not None and shutil.which("pg_ctl") is not None:
        return Path(on_path).parent
    raise PostgresNotInstalledError(
        "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb, no initdb "
        f"on PATH); install them: apt-get install -y {APT_PACKAGE}"
    )


class PostgresServer(LocalService):
    """A fresh cluster (initdb) on a free loopback port with one database, `prefect`.

    Durability is traded for speed (fsync off): it is a test database, thrown away on stop.
    """

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = 0
        self.bin_dir = postgres_bin_dir()
        self._as_root = os.geteuid() == 0
        self._root: Path | None = None

    @property
    def url(self) -> str:
        """The SQLAlchemy URL Prefect takes as PREFECT_API_DATABASE_CONNECTION_URL."""
        return f"postgresql+asyncpg://{_SYSTEM_USER}@127.0.0.1:{self.port}/{_DATABASE}"

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        if self._root is None:
            raise RuntimeError("the server is not started")
        return self._root / "data"

    def _run(self, *args: str) -> None:
        """Run a server binary (as the postgres user when we are root); raise with its output."""
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", _SYSTEM_USER, "--", *command]
        done = subprocess.run(  # noqa: S603 - fixed binaries, arguments built here
            command, capture_output=True, text=True, check=False, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({done.returncode}): {done.stderr or done.stdout}"
            )

    def _make_root(self) -> Path:
        """Where the cluster lives: under `home`, or as root a temp dir the postgres user owns.

        (As root, `home` is usually under a 0700 root-owned folder the postgres user
        cannot enter.)
        """
        self.home.mkdir(parents=True, exist_ok=True)
        if not self._as_root:
            root = self.home / "postgres"
            root.mkdir()
            return root
        user = pwd.getpwnam(_SYSTEM_USER)
        root = Path(tempfile.mkdtemp(prefix="grantreview-pg-"))
        os.chown(root, user.pw_uid, user.pw_gid)
        return root

    def start(self) -> Self:
        """initdb, start on a free port, create the database; waits until it accepts clients.

        The port stays reserved until the server accepts clients (PostgreSQL listens with
        SO_REUSEADDR), so no parallel test can take it in between.
        """
        try:
            self._root = self._make_root()
        except KeyError:
            raise PostgresNotInstalledError(
                f"running as root needs the '{_SYSTEM_USER}' system user (apt-get install -y "
                f"{APT_PACKAGE} creates it)"
            ) from None
        with PortReservations() as reserved:
            self.port = reserved.take()
            self._start_cluster(self._root)
        return self

    def _start_cluster(self, root: Path) -> None:
        """initdb, pg_ctl start on `self.port`, createdb; on failure stop with the log's tail."""
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            _SYSTEM_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
            "--no-instructions",
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        log = root / "server.log"
        try:
            self._run("pg_ctl", "start", "-D", str(self.data_dir), "-o", options, "-l", str(log))
            self._run(
                "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", _DATABASE
            )
        except RuntimeError as error:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            self.stop()
            raise RuntimeError(f"{error}\n{tail}") from None

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete the cluster."""
        if self._root is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):  # already gone: nothing left to stop
                self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast")
        shutil.rmtree(self._root, ignore_errors=True)
        self._root = None
