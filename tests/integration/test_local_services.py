"""`make up` / `make down`: services that stay up between commands, on the ports asked for."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

from localdev import PortReservations
from tests.conftest import run_cli_process

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "programs" / "psp-2017" / "examples"


def _services(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "localdev.services", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.removeprefix("export ").partition("=") for line in path.read_text().splitlines())
    return {name: shlex.split(value)[0] for name, _, value in pairs}


def test_up_then_commands_then_down(tmp_path: Path) -> None:
    """Up prints and writes the env and serves; a review runs after up returned; down stops all."""
    data = tmp_path / "data"
    # not the documented defaults (tests share the machine), held until `up` listens on them
    with PortReservations() as reserved:
        s3_port, prefect_port = reserved.take(), reserved.take()
        ports = ("--s3-port", str(s3_port), "--prefect-port", str(prefect_port))
        started = _services("up", "--data", data, *ports)
    assert started.returncode == 0, started.stderr[-3000:]
    env = _env_file(data / "env")
    assert started.stdout.startswith((data / "env").read_text())
    assert env["GRANTREVIEW_S3_ENDPOINT_URL"] == f"http://127.0.0.1:{s3_port}"
    assert env["PREFECT_API_URL"] == f"http://127.0.0.1:{prefect_port}/api"
    pids = json.loads((data / "services.json").read_text())
    assert set(pids) == {"seaweed", "prefect", "serve"}
    assert "deployments served by grantreview serve" in started.stdout
    try:
        url = f"{env['PREFECT_API_URL']}/deployments/name/review/review"
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback
            review = json.load(answer)
        assert review["parameters"] == {"program": "psp-2017"}  # the Quick start's program
        assert _services("up", "--data", data, *ports).stdout == started.stdout  # already up
        imported = run_cli_process(env, "jurisdictions", "import", EXAMPLES / "jurisdictions.csv")
        assert imported.code == 0, imported
        reviewed = run_cli_process(
            env, "review", "-p", "psp-2017", "stockton-ca", "--as-of", "2017-08-03", "--json"
        )
        assert reviewed.code == 0, reviewed
        assert json.loads(reviewed.stdout)[0]["step"] == "letter_sent"
    finally:
        stopped = _services("down", "--data", data)
    assert stopped.returncode == 0, stopped.stderr
    assert "seaweed" in stopped.stdout
    assert "prefect" in stopped.stdout
    assert "serve" in stopped.stdout
    assert not (data / "env").exists()
    for pid in pids.values():
        assert (
            not Path(f"/proc/{pid}").exists()
            or "State:\tZ" in Path(f"/proc/{pid}/status").read_text()
        )
