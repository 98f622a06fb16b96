"""`make up` serves the deployments too: `grantreview serve` detached beside the two services.

Without it the Prefect UI's Deployments page stays empty until someone runs `serve`; with
it the Quick start's runs, schedules and run forms are there as soon as `make up` returns.
Its output goes to `.data/serve.log`; `make down` stops it with the others.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["DEFAULT_SERVED", "LOG", "start_serving"]

DEFAULT_SERVED = ("psp-2017",)
"""The program `make up` serves: the Quick start's, so the run form's default is the one used."""
LOG = "serve.log"


def start_serving(
    data: Path, env: Mapping[str, str], programs: Sequence[str], timeout: float = 120.0
) -> int:
    """Start `grantreview serve --program ...` detached; its pid once `review` is deployed."""
    grantreview = str(Path(sys.executable).with_name("grantreview"))  # our venv's command
    words = [grantreview, "serve"]
    for program in programs:
        words += ["--program", program]
    with (data / LOG).open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own venv
            words,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: `down` stops it and its children
        )
    _wait_deployed(process, env["PREFECT_API_URL"], data / LOG, timeout)
    return process.pid


def _wait_deployed(
    process: subprocess.Popen[bytes], api_url: str, log: Path, timeout: float
) -> None:
    """Poll the API until the `review` deployment exists; a serve that exited is reported."""

    def deployed() -> None:
        if process.poll() is not None:
            raise RuntimeError(f"grantreview serve exited; see {log}")
        url = f"{api_url}/deployments/name/review/review"
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
            json.load(answer)

    retrying = Retrying(
        retry=retry_if_exception_type(OSError),  # 404 (HTTPError), URLError, timeouts
        stop=stop_after_delay(timeout),
        wait=wait_fixed(0.5),
    )
    try:
        retrying(deployed)
    except RetryError:
        process.terminate()
        raise TimeoutError(
            f"grantreview serve registered no deployments within {timeout:.0f}s; see {log}"
        ) from None
