"""Local services that stay up: `make up` starts them, `make down` stops them.

`python -m localdev.services up` starts SeaweedFS (S3 on 127.0.0.1:8333) and a Prefect
server with its UI (127.0.0.1:4200), detached, with their data under `.data/`; creates the
bucket and a signing key pair; writes `.data/env` (the environment to export, as
`export NAME=value` lines); serves the deployments (`grantreview serve --program psp-2017`,
`--serve P` to choose, `--no-serve` for none; `localdev/served.py`) and prints the
environment. Running it again while they are up only prints the environment (and starts
`serve` again if it had stopped). `python -m localdev.services down` stops the processes
it started (by the pids it recorded in `.data/services.json`) and removes `.data/env`.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from infra.platform.settings import Settings
from infra.s3.bucket import ensure_bucket
from infra.s3.client import make_s3_client
from localdev.prefect_server import PrefectServer
from localdev.seaweed import SeaweedServer
from localdev.served import DEFAULT_SERVED, LOG, start_serving
from localdev.stack import ensure_keys

__all__ = ["DEFAULT_PREFECT_PORT", "DEFAULT_S3_PORT", "down", "main", "up"]

DEFAULT_S3_PORT = 8333
"""SeaweedFS's S3 port (its own default); its internal ports are picked free at each start."""
DEFAULT_PREFECT_PORT = 4200
"""The Prefect server's API and UI port (Prefect's own default)."""
_RECORD = "services.json"
_ENV = "env"


def up(
    data: Path,
    *,
    s3_port: int,
    prefect_port: int,
    bucket: str,
    serve: Sequence[str] = DEFAULT_SERVED,
) -> dict[str, str]:
    """Start the services detached (unless up already) and serve `serve`; the environment."""
    data.mkdir(parents=True, exist_ok=True)
    if _running(data):
        env = _read_env(data)
        _keep_serving(data, env, serve)
        return env
    seaweed = SeaweedServer(data / "seaweed", s3_port=s3_port).start(detached=True)
    try:
        prefect = PrefectServer(data / "prefect-server", port=prefect_port).start(
            timeout=180, detached=True
        )
    except BaseException:
        seaweed.stop()
        raise
    pids = {"seaweed": _pid(seaweed.process), "prefect": _pid(prefect.process)}
    (data / _RECORD).write_text(json.dumps(pids) + "\n")
    admin = seaweed.env("admin")
    os.environ.update(admin)  # boto3's credential chain, for creating the bucket
    client = make_s3_client(Settings(s3_endpoint_url=seaweed.endpoint))
    ensure_bucket(client, bucket, "", lock_mode="GOVERNANCE", lock_days=1)
    private, public = ensure_keys(data / "keys")
    env = {
        **seaweed.env("operator"),
        "GRANTREVIEW_S3_BUCKET": bucket,
        "GRANTREVIEW_SIGNING_KEY_FILE": str(private),
        "GRANTREVIEW_VERIFY_KEY_FILE": str(public),
        "PREFECT_API_URL": prefect.api_url,
        "PREFECT_UI_URL": f"http://127.0.0.1:{prefect.port}",
        "PREFECT_HOME": str(data / "prefect"),
    }
    text = "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())
    (data / _ENV).write_text(text)
    _keep_serving(data, env, serve)
    return env


def _keep_serving(data: Path, env: dict[str, str], programs: Sequence[str]) -> None:
    """Start `grantreview serve` unless it runs already (or no program is to be served)."""
    record = data / _RECORD
    pids: dict[str, int] = json.loads(record.read_text())
    if not programs or ("serve" in pids and _alive(pids["serve"])):
        return
    pids["serve"] = start_serving(data, env, programs)
    record.write_text(json.dumps(pids) + "\n")


def down(data: Path, timeout: float = 30.0) -> list[str]:
    """Stop the processes `up` recorded (their process groups); the names stopped."""
    record = data / _RECORD
    if not record.exists():
        return []
    pids: dict[str, int] = json.loads(record.read_text())
    first = sorted(pids, key=lambda name: name != "serve")  # serve before what it talks to
    stopped = [name for name in first if _stop_group(pids[name], timeout)]
    record.unlink()
    (data / _ENV).unlink(missing_ok=True)
    return stopped


def _pid(process: subprocess.Popen[bytes] | None) -> int:
    if process is None:
        raise RuntimeError("a service did not start")
    return process.pid


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its parent to reap it does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def _running(data: Path) -> bool:
    """Whether both recorded services are alive and the env file is there (serve aside)."""
    record = data / _RECORD
    if not record.exists() or not (data / _ENV).exists():
        return False
    pids: dict[str, int] = json.loads(record.read_text())
    return all(_alive(pids[name]) for name in ("seaweed", "prefect") if name in pids)


def _stop_group(pid: int, timeout: float) -> bool:
    """SIGTERM the group `pid` leads (the launcher made it a session leader), then SIGKILL."""
    if not _alive(pid):
        return False
    os.killpg(pid, signal.SIGTERM)
    gone = Retrying(
        retry=retry_if_result(lambda alive: alive),
        stop=stop_after_delay(timeout),
        wait=wait_fixed(0.2),
    )
    try:
        gone(_alive, pid)
    except RetryError:
        os.killpg(pid, signal.SIGKILL)
    return True


def _read_env(data: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in (data / _ENV).read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = shlex.split(value)[0] if value else ""
    return env


def main(argv: list[str] | None = None) -> int:
    """`up` or `down`; `up` prints the environment to export."""
    parser = argparse.ArgumentParser(prog="python -m localdev.services", description=__doc__)
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--data", type=Path, default=Path(".data"), help="state folder")
    parser.add_argument("--s3-port", type=int, default=DEFAULT_S3_PORT)
    parser.add_argument("--prefect-port", type=int, default=DEFAULT_PREFECT_PORT)
    parser.add_argument("--bucket", default="grantreview")
    parser.add_argument(
        "--serve",
        action="append",
        metavar="PROGRAM",
        help="program `grantreview serve` serves (repeat; default: psp-2017)",
    )
    parser.add_argument("--no-serve", action="store_true", help="serve no deployments")
    arguments = parser.parse_args(argv)
    data: Path = arguments.data.resolve()
    if arguments.action == "down":
        stopped = down(data)
        sys.stdout.write(f"stopped: {', '.join(stopped) or 'nothing was running'}\n")
        return 0
    env = up(
        data,
        s3_port=arguments.s3_port,
        prefect_port=arguments.prefect_port,
        bucket=arguments.bucket,
        serve=() if arguments.no_serve else tuple(arguments.serve or DEFAULT_SERVED),
    )
    sys.stdout.write((data / _ENV).read_text())
    served = json.loads((data / _RECORD).read_text()).get("serve")
    sys.stdout.write(
        f"# Prefect UI: {env['PREFECT_UI_URL']}\n"
        + (f"# deployments served by grantreview serve (log: {data / LOG})\n" if served else "")
        + f"# use them: . {data / _ENV}   (make down stops them)\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
