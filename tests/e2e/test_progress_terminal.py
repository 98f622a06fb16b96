"""A progress bar on a terminal, nothing on a pipe: `audit verify --source` as a process.

Offline verification needs no S3 and no Prefect, so the CLI runs for real on a pseudo-
terminal (stderr is the pty's slave end) and piped.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from infra.eventlog.memory_store import MemoryObjectStore
from infra.identity.keys import write_keyring
from schemas.log.streams import StreamId
from tests.unit.test_verify import KEYRING, PREFIX, build
from usecases.export import export_store

ROOT = Path(__file__).resolve().parents[2]
STREAMS = tuple(StreamId(program="psp-2017", jurisdiction=f"place-{n:03d}-ca") for n in range(40))


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A downloaded copy of a signed 40-stream log and the keyring that verifies it."""
    root = tmp_path_factory.mktemp("progress")
    store = MemoryObjectStore()
    build(store, streams=STREAMS, n=2)
    export_store(store, PREFIX, root / "copy")
    write_keyring(root / "verify-keys.json", KEYRING)
    return root / "copy", root / "verify-keys.json"


def _command(copy: tuple[Path, Path]) -> list[str]:
    binary = str(Path(sys.executable).with_name("grantreview"))
    return [binary, "audit", "verify", "--source", str(copy[0]), "--verify-key", str(copy[1])]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "COLUMNS": "100"}


def test_progress_is_drawn_on_a_terminal(copy: tuple[Path, Path]) -> None:
    """With stderr on a pseudo-terminal the bar is drawn there (its label, its count)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(_command(copy), stdout=subprocess.PIPE, stderr=slave, env=_env())
    os.close(slave)
    drawn = bytearray()
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    out, _ = process.communicate()
    os.close(master)
    assert process.returncode == 0, drawn.decode(errors="replace")
    assert b"reading commits" in drawn, drawn
    assert b"80/80" in drawn, drawn
    assert out.decode().startswith("ok: 40 streams")


def test_nothing_but_the_report_when_piped(copy: tuple[Path, Path]) -> None:
    """Piped, stderr stays empty and stdout holds only the report."""
    done = subprocess.run(_command(copy), capture_output=True, text=True, env=_env(), check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("ok: 40 streams")
