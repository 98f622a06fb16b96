"""The console entry point skips interpreter teardown: statuses and output must survive it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli.entry import _exit_status

BINARY = Path(sys.executable).with_name("grantreview")
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BINARY), *args], capture_output=True, text=True, check=False, cwd=ROOT, timeout=60
    )


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (2, 2), (70, 70), ("bye", 1)])
def test_exit_status_is_what_sys_exit_gives(code: object, status: int) -> None:
    """None is success, an int is itself, a message is 1 (as Python does)."""
    assert _exit_status(code) == status


def test_output_reaches_a_pipe_whole() -> None:
    """Piped JSON (block-buffered stdout) is flushed before the process leaves."""
    done = _run("programs", "list", "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert "psp-2017" in {entry["id"] for entry in listed}


def test_unflushed_output_and_status_survive_the_fast_exit() -> None:
    """Buffered output still unwritten when the command returns is delivered, status kept."""
    command = (
        "import sys\n"
        "from cli import entry, main as cli\n"
        "def command() -> None:\n"
        "    sys.stdout.write('x' * 100_000)\n"
        "    sys.stderr.write('last words')\n"
        "    sys.exit(3)\n"
        "cli.main = command\n"
        "entry.run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", command], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 3
    assert done.stdout == "x" * 100_000
    assert done.stderr == "last words"


def test_usage_error_keeps_status_2_and_its_message() -> None:
    """A usage error still exits 2 with Click's message on stderr."""
    done = _run("status", "--bogus")
    assert done.returncode == 2
    assert "No such option: --bogus" in done.stderr


def test_bad_input_keeps_status_2_and_one_error_line(tmp_path: Path) -> None:
    """An input error exits 2 with exactly one `error:` line, nothing swallowed."""
    done = _run("respond", "stockton-ca", "--program", "psp-2017", "--file", str(tmp_path / "x"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")
