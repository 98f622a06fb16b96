"""Regenerate docs/images/ui-refused-act.png: the Prefect UI's page of a refused `review` run.

`python -m localdev.screenshot_ui` starts SeaweedFS and a Prefect server with its UI on
free loopback ports (state in a temporary folder), writes a people file (one operator,
a fresh key), serves the deployments with `grantreview serve` holding no person's key,
starts `review` as the UI's form would without an act, waits for it to end Failed, and
has headless Chromium (`localdev/system-deps.sh` installs it) capture the run's page with
its one-line refusal in the Logs tab. Everything it started is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from infra.platform.settings import Settings
from infra.s3.bucket import ensure_bucket
from infra.s3.client import make_s3_client
from localdev._ports import reserve_port
from localdev._services import stop_process
from localdev.prefect_server import PrefectServer
from localdev.seaweed import SeaweedServer
from localdev.stack import local_env

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "images" / "ui-refused-act.png"
WINDOW = (1280, 760)
"""Wide enough for the log line, tall enough to reach the Logs tab's first lines."""
PARAMETERS = {"program": "psp-2017", "jurisdictions": ["stockton-ca"], "actor": "olga"}
"""The run form as an operator fills it in who has not prepared and signed an act."""


def _people_file(folder: Path) -> Path:
    """One operator, Olga, with a fresh ed25519 key (only its public half is needed)."""
    public = Ed25519PrivateKey.generate().public_key()
    line = public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    path = folder / "people.yaml"
    path.write_text(
        "people:\n  - id: olga\n    name: Olga\n    roles: [operator]\n"
        f'    key: "{line} olga@example"\n    valid_from: 2020-01-01\n'
    )
    return path


async def _refused_run(deadline: float) -> UUID:
    """Start `review` without an act once it is served; its id, when the run has ended."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415 - after env is set

    async with get_client() as client:
        while True:
            found = [d for d in await client.read_deployments() if d.name == "review"]
            if found:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("grantreview serve did not register `review`")
            await asyncio.sleep(1)
        run = await client.create_flow_run_from_deployment(found[0].id, parameters=PARAMETERS)
        while run.state is None or not run.state.is_final():
            if time.monotonic() > deadline:
                raise TimeoutError("the review run did not end")
            await asyncio.sleep(1)
            run = await client.read_flow_run(run.id)
        await asyncio.sleep(3)  # its log lines are sent in batches
        return run.id


def _capture(url: str, out: Path, profile: Path) -> None:
    """Headless Chromium's screenshot of `url`, after the page's scripts have run."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed: run ./localdev/system-deps.sh as root")
    out.parent.mkdir(parents=True, exist_ok=True)
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--virtual-time-budget=20000",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--screenshot={out}",
    ]
    subprocess.run([chromium, *flags, url], capture_output=True, timeout=120, check=True)  # noqa: S603 - our own arguments


def _serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    grantreview = str(Path(sys.executable).with_name("grantreview"))
    with log.open("wb") as sink:
        return subprocess.Popen(  # noqa: S603 - fixed arguments, our own venv
            [grantreview, "serve", "--program", "psp-2017"],
            env={**os.environ, **env, "PREFECT_RUNNER_POLL_FREQUENCY": "1"},
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def capture(out: Path, work: Path) -> str:
    """Make the refused run and its screenshot at `out`; the run page's URL."""
    with reserve_port() as held:  # the UI's page must be told the API's port before it starts
        port: int = held.getsockname()[1]
    os.environ["PREFECT_UI_API_URL"] = f"http://127.0.0.1:{port}/api"
    prefect = PrefectServer(work / "prefect", port=port)
    with SeaweedServer(work / "seaweed") as seaweed:
        prefect.start(timeout=180, detached=True)  # detached: with its UI
        os.environ.update(seaweed.env("admin"))
        client = make_s3_client(Settings(s3_endpoint_url=seaweed.endpoint))
        ensure_bucket(client, "grantreview", "", lock_mode="GOVERNANCE", lock_days=1)
        env = {
            **local_env(seaweed, work, "grantreview"),
            **prefect.env(),
            "PREFECT_LOGGING_TO_API_ENABLED": "true",  # the run's Logs tab is the point
            "PREFECT_LOGGING_LEVEL": "INFO",  # as an office runs it
            "GRANTREVIEW_PEOPLE_FILE": str(_people_file(work)),
        }
        os.environ.update(env)
        served = _serve(env, work / "serve.log")
        try:
            run_id = asyncio.run(_refused_run(time.monotonic() + 180))
            url = f"http://127.0.0.1:{prefect.port}/runs/flow-run/{run_id}"
            _capture(url, out, work / "chromium")
        finally:
            stop_process(served, timeout=20)
            prefect.stop()
    return url


def main(argv: list[str] | None = None) -> int:
    """Regenerate the screenshot (default docs/images/ui-refused-act.png)."""
    parser = argparse.ArgumentParser(prog="python -m localdev.screenshot_ui", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the PNG to write")
    arguments: Any = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="grantreview-ui-") as work:
        url = capture(arguments.out.resolve(), Path(work))
    size = arguments.out.stat().st_size
    sys.stdout.write(f"{arguments.out} ({size // 1024} KiB) from {url}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
