"""Shared fixtures: a real SeaweedFS S3 server per test session, an isolated prefix per test."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mypy_boto3_s3 import S3Client
from prefect.settings import PREFECT_API_URL, temporary_settings

from cli.main import main
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.s3_store import S3ObjectStore
from infra.identity.keys import load_keyring, load_signer
from infra.platform.settings import REPO_PROGRAMS_DIR, Settings, get_settings
from infra.runtime import get_runtime
from infra.s3.bucket import ensure_bucket
from localdev.prefect_server import PrefectServer
from localdev.seaweed import SeaweedServer
from tests.support.programs import one_stage_copy

TEST_BUCKET = "grantreview-test"
_HOST_SETTINGS = ("GRANTREVIEW_", "SSH_AUTH_SOCK")
"""The tester's own settings and ssh-agent: a test sets what it needs, nothing leaks in."""


def pytest_configure(config: pytest.Config) -> None:
    """Run every test as on a clean machine, whatever the tester's shell exports.

    Every flow and task module is imported now, before any test patches
    `infra.runtime.get_runtime`: a module first imported under such a patch would bind the
    test's runtime (`from infra.runtime import get_runtime`) for every later test.
    """
    for name in [name for name in os.environ if name.startswith(_HOST_SETTINGS)]:
        del os.environ[name]
    for package in ("tasks", "flows"):
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            importlib.import_module(module.name)


def client_for(server: SeaweedServer, identity: str) -> S3Client:
    """A boto3 client for one of the server's identities."""
    return server.client(identity)


@contextmanager
def seaweed_with_bucket(directory: Path) -> Iterator[SeaweedServer]:
    """A started SeaweedFS holding the test bucket (versioning, Object Lock); stopped after."""
    server = SeaweedServer(directory).start()
    try:
        ensure_bucket(
            client_for(server, "admin"), TEST_BUCKET, "", lock_mode="GOVERNANCE", lock_days=1
        )
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """A real SeaweedFS (`weed mini`) on loopback with admin, operator and auditor identities."""
    with seaweed_with_bucket(tmp_path_factory.mktemp("seaweed")) as server:
        yield server


@pytest.fixture
def admin_client(seaweed: SeaweedServer) -> S3Client:
    """An S3 client with the admin identity (for tampering in tests)."""
    return client_for(seaweed, "admin")


@pytest.fixture
def operator_client(seaweed: SeaweedServer) -> S3Client:
    """An S3 client with the operator identity (read, list, write)."""
    return client_for(seaweed, "operator")


@pytest.fixture
def s3_prefix() -> str:
    """A fresh key prefix so every test has a log of its own in the shared bucket."""
    return f"t-{uuid.uuid4().hex[:12]}/"


@pytest.fixture(scope="session")
def one_stage_programs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped programs without their review paths (see tests/support/programs.py)."""
    return one_stage_copy(REPO_PROGRAMS_DIR, tmp_path_factory.mktemp("one-stage") / "programs")


@pytest.fixture
def s3_env(
    seaweed: SeaweedServer, s3_prefix: str, tmp_path: Path, one_stage_programs: Path
) -> dict[str, str]:
    """Environment for a CLI subprocess: the operator identity and this test's prefix.

    Programs are the shipped ones in one stage; a test of staged reviews sets its own
    GRANTREVIEW_PROGRAMS_DIR.
    """
    return {
        **seaweed.env("operator"),
        "GRANTREVIEW_PROGRAMS_DIR": str(one_stage_programs),
        "GRANTREVIEW_S3_BUCKET": TEST_BUCKET,
        "GRANTREVIEW_S3_PREFIX": s3_prefix,
        "GRANTREVIEW_OBJECT_LOCK_DAYS": "1",
    }


@pytest.fixture
def settings(s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings (and boto3's credential chain) pointed at the test server and prefix."""
    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.fixture
def s3_event_log(operator_client: S3Client, s3_prefix: str) -> EventLog:
    """An event log on the real S3 server under this test's prefix."""
    return EventLog(S3ObjectStore(operator_client, TEST_BUCKET), s3_prefix)


@pytest.fixture
def signed_event_log(
    operator_client: S3Client, s3_prefix: str, key_files: tuple[Path, Path]
) -> EventLog:
    """The log as the system writes it: commits signed with the session's system key."""
    keys = CommitKeys(load_signer(key_files[0]), load_keyring(key_files[1]))
    return EventLog(S3ObjectStore(operator_client, TEST_BUCKET), s3_prefix, keys=keys)


def count_objects(client: S3Client, prefix: str) -> int:
    """How many objects (current versions) exist under `prefix` in the test bucket."""
    paginator = client.get_paginator("list_objects_v2")
    return sum(
        len(page.get("Contents", []))
        for page in paginator.paginate(Bucket=TEST_BUCKET, Prefix=prefix)
    )


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A real Prefect server (SQLite) on loopback for the whole session."""
    with PrefectServer(tmp_path_factory.mktemp("prefect")) as server:
        yield server


@pytest.fixture(scope="session")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A signing key pair for the session (private 0600, public keyring)."""
    from infra.identity.keys import generate_key_pair  # noqa: PLC0415 - only for tests that sign

    return generate_key_pair(
        tmp_path_factory.mktemp("keys"), valid_from=datetime(2000, 1, 1, tzinfo=UTC)
    )


def signing_env(s3_env: dict[str, str], key_files: tuple[Path, Path]) -> dict[str, str]:
    """The test's S3 settings with the system's signing and verify keys."""
    return {
        **s3_env,
        "GRANTREVIEW_SIGNING_KEY_FILE": str(key_files[0]),
        "GRANTREVIEW_VERIFY_KEY_FILE": str(key_files[1]),
    }


@pytest.fixture
def cli_env(
    s3_env: dict[str, str], prefect_server: PrefectServer, key_files: tuple[Path, Path]
) -> dict[str, str]:
    """Everything a CLI run needs: S3 (operator), Prefect server, signing and verify keys."""
    return {**signing_env(s3_env, key_files), **prefect_server.env()}


@dataclass(frozen=True)
class CliResult:
    """What a CLI run left: exit code and both output streams."""

    code: int
    stdout: str
    stderr: str


class Cli:
    """Runs `grantreview` in-process through its real entry point (error mapping included)."""

    def __init__(
        self,
        env: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        self.env = env
        self.monkeypatch = monkeypatch
        self.capsys = capsys

    def __call__(self, *args: str | Path) -> CliResult:
        """Run one command and return its result."""
        # The CLI's default level, set here so the CLI's own setdefault is undone after.
        self.monkeypatch.setenv("GRANTREVIEW_LOG_LEVEL", "WARNING")
        for name, value in self.env.items():
            self.monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        get_runtime.cache_clear()
        self.monkeypatch.setattr(sys, "argv", ["grantreview", *map(str, args)])
        self.capsys.readouterr()
        # Prefect freezes its settings when first imported in this process (often at
        # collection, before any server exists): point this run at the env's API explicitly.
        api = (
            {PREFECT_API_URL: self.env["PREFECT_API_URL"]} if "PREFECT_API_URL" in self.env else {}
        )
        try:
            with temporary_settings(updates=api):
                main()
        except SystemExit as done:
            code = int(done.code or 0)
        else:
            code = 0
        captured = self.capsys.readouterr()
        return CliResult(code, captured.out, captured.err)


@pytest.fixture
def cli(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    """The CLI, in-process, against this test's S3 prefix and the session's Prefect server."""
    return Cli(cli_env, monkeypatch, capsys)


def run_cli_process(env: dict[str, str], *args: str | Path, timeout: float = 120) -> CliResult:
    """Run `.venv/bin/grantreview` as a user would, in a subprocess."""
    binary = Path(sys.executable).with_name("grantreview")
    done = subprocess.run(
        [str(binary), *map(str, args)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def cli_s3(
    s3_env: dict[str, str],
    key_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """The CLI against this test's prefix with signing and verify keys; no Prefect needed."""
    return Cli(signing_env(s3_env, key_files), monkeypatch, capsys)
