"""Acts signed by a real OpenSSH ssh-agent (SSH_AUTH_SOCK, no key file) on SeaweedFS.

The agent's key is made by `ssh-keygen` and loaded with `ssh-add`; the signatures must
verify with `ssh-keygen -Y verify` and with ours, and neither the socket path nor the
private key may show in any output, log line or object.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mypy_boto3_s3 import S3Client

from tests.conftest import count_objects
from tests.integration.test_people import (
    PROGRAM,
    Office,
    office,
)

__all__ = ["office"]  # a fixture used here by name

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("ssh-agent", "ssh-add", "ssh-keygen")),
    reason="OpenSSH client tools are not installed (localdev/system-deps.sh installs them)",
)


@dataclass(frozen=True)
class AgentKey:
    """A key `ssh-keygen -t ed25519 -N ''` made: its file, its text and its public line."""

    path: Path
    private_text: str
    public: str


@dataclass(frozen=True)
class Agent:
    """A running `ssh-agent -D` and its socket."""

    socket: Path

    def add(self, key: AgentKey) -> None:
        """`ssh-add` the key (as a person does once per login)."""
        env = {"SSH_AUTH_SOCK": str(self.socket), "PATH": "/usr/bin:/bin"}
        added = subprocess.run(
            ["ssh-add", "-q", str(key.path)], env=env, capture_output=True, check=False
        )
        assert added.returncode == 0, added.stderr


def _keygen(folder: Path, name: str) -> AgentKey:
    path = folder / name
    command = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@example"]
    subprocess.run([*command, "-f", str(path)], check=True, capture_output=True)
    return AgentKey(path, path.read_text(), path.with_suffix(".pub").read_text().strip())


@pytest.fixture
def start_agent() -> Iterator[Callable[[], Agent]]:
    """Start real agents on a short socket path (Unix sockets allow ~100 bytes); stop them."""
    folders: list[Path] = []
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> Agent:
        folder = Path(tempfile.mkdtemp(prefix="gr-agent-", dir="/tmp"))
        folders.append(folder)
        socket = folder / "agent.sock"
        process = subprocess.Popen(
            ["ssh-agent", "-D", "-a", str(socket)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        deadline = time.monotonic() + 30  # a bound on start-up, not a timing assertion
        while not socket.exists():
            assert process.poll() is None, "ssh-agent exited"
            assert time.monotonic() < deadline, "ssh-agent did not create its socket"
            time.sleep(0.02)
        return Agent(socket)

    yield start
    for process in processes:
        process.terminate()
        process.wait()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _with_dora_key(office: Office, public: str) -> None:
    keys = office.keys
    office.write_people(
        [
            ("olga", ["operator"], keys["olga"].public, "2020-01-01", None),
            ("dora", ["determining_official"], public, "2020-01-01", None),
            ("dan", ["determining_official"], keys["dan"].public, "2020-01-01", None),
        ]
    )


def _args(slug: str) -> list[str]:
    """Dora's override of `slug`."""
    return ["override", slug, "--program", PROGRAM, "--decision", "eligible", "--reason", "r"]


def test_an_act_signed_by_the_agent_verifies_with_ssh_keygen_and_leaks_nothing(
    office: Office,
    start_agent: Callable[[], Agent],
    operator_client: S3Client,
    s3_prefix: str,
) -> None:
    """Dora acts with her agent only: recorded, verified both ways, `audit verify` clean."""
    key = _keygen(office.tmp, "dora_agent")
    agent = start_agent()
    agent.add(key)
    _with_dora_key(office, key.public)
    done = office.run("dora", *_args("stockton-ca"), agent=agent.socket)
    assert done.code == 0, done
    # `grantreview sign` signs a prepared act with the agent too; `submit` records it.
    prepared = office.run("dora", *_args("baltimore-md"), "--prepare", agent=agent.socket)
    assert prepared.code == 0, prepared
    act_file = office.tmp / "act.json"
    act_file.write_text(prepared.stdout)
    signed = office.run("dora", "sign", act_file, agent=agent.socket)
    assert signed.code == 0, signed
    (office.tmp / "act.sig").write_text(signed.stdout)
    submitted = office.run(
        "dora", "submit", act_file, "--signature", office.tmp / "act.sig", agent=agent.socket
    )
    assert submitted.code == 0, submitted
    office.assert_acts_verify(["override", "override"], "dora", key.public)
    verified = office.run("dan", "audit", "verify")
    assert verified.code == 0, verified
    body = "".join(line for line in key.private_text.splitlines() if "-----" not in line)
    secrets = [str(agent.socket), agent.socket.parent.name, str(key.path), body, "PRIVATE KEY"]
    office.assert_no_secret(operator_client, s3_prefix, [text.encode() for text in secrets])


def test_an_agent_without_the_actors_key_is_bad_input_and_writes_nothing(
    office: Office,
    start_agent: Callable[[], Agent],
    operator_client: S3Client,
    s3_prefix: str,
) -> None:
    """An agent holding only another key (Dan's): exit 2, one line, nothing written."""
    dora, other = _keygen(office.tmp, "dora_agent"), _keygen(office.tmp, "dan_agent")
    agent = start_agent()
    agent.add(other)
    _with_dora_key(office, dora.public)
    before = count_objects(operator_client, s3_prefix)
    refused = office.run("dora", *_args("stockton-ca"), agent=agent.socket)
    assert refused.code == 2, refused
    assert "the ssh-agent holds no key of 'dora' in force" in refused.stderr
    assert str(agent.socket) not in refused.stdout + refused.stderr
    assert count_objects(operator_client, s3_prefix) == before


def test_an_agent_that_cannot_be_reached_is_exit_3_naming_the_setting_only(
    office: Office, operator_client: S3Client, s3_prefix: str
) -> None:
    """SSH_AUTH_SOCK naming no socket: exit 3, the message names the setting, not its value."""
    gone = office.tmp / "no-agent-here.sock"
    before = count_objects(operator_client, s3_prefix)
    refused = office.run("dora", *_args("stockton-ca"), agent=gone)
    assert refused.code == 3, refused
    assert "SSH_AUTH_SOCK" in refused.stderr
    assert "no-agent-here" not in refused.stdout + refused.stderr
    assert count_objects(operator_client, s3_prefix) == before
