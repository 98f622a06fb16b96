"""Run a command against local services: SeaweedFS on loopback, a bucket, a signing key pair.

`python -m localdev.stack --data .data -- grantreview demo` is what `make demo` runs. The S3
server is started with admin, operator and auditor identities; the bucket is created
with the admin identity; the command itself runs with the operator identity.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from infra.identity.keys import generate_key_pair
from infra.platform.settings import Settings
from infra.s3.bucket import ensure_bucket
from infra.s3.client import make_s3_client
from localdev.prefect_server import LOCAL_PREFECT
from localdev.seaweed import SeaweedServer

__all__ = ["main"]


def ensure_keys(directory: Path) -> tuple[Path, Path]:
    """The local signing key pair, generated on first use."""
    private, public = directory / "signing-key.pem", directory / "verify-keys.json"
    if not private.exists():
        directory.mkdir(parents=True, exist_ok=True)
        private, public = generate_key_pair(directory, valid_from=datetime(2000, 1, 1, tzinfo=UTC))
    return private, public


def local_env(server: SeaweedServer, data: Path, bucket: str) -> dict[str, str]:
    """The environment a command needs to use the local services."""
    private, public = ensure_keys(data / "keys")
    return {
        **LOCAL_PREFECT,
        **server.env("operator"),
        "GRANTREVIEW_S3_BUCKET": bucket,
        "GRANTREVIEW_SIGNING_KEY_FILE": str(private),
        "GRANTREVIEW_VERIFY_KEY_FILE": str(public),
        "PREFECT_HOME": str(data / "prefect"),
    }


def main(argv: list[str] | None = None) -> int:
    """Start the services, run the command, stop the services; exit with the command's code."""
    parser = argparse.ArgumentParser(prog="python -m localdev.stack", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path(".data"), help="state folder")
    parser.add_argument("--bucket", default="grantreview")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ...")
    arguments = parser.parse_args(argv)
    command = [part for part in arguments.command if part != "--"][:]
    if not command:
        parser.error("give a command after --")
    data: Path = arguments.data.resolve()
    with SeaweedServer(data / "seaweed") as server:
        admin = server.env("admin")
        os.environ.update(admin)
        ensure_bucket(
            make_s3_client(Settings(s3_endpoint_url=server.endpoint)),
            arguments.bucket,
            "",
            lock_mode="GOVERNANCE",
            lock_days=1,
        )
        env = {**os.environ, **local_env(server, data, arguments.bucket)}
        return subprocess.run(command, env=env, check=False).returncode  # noqa: S603 - the user's own command


if __name__ == "__main__":
    sys.exit(main())
