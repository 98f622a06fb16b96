"""The people file as OpenSSH allowed signers: `ssh-keygen -Y verify` checks acts at their time.

Dora's key is rotated on 2024-06-01. An act she signed with the old key verifies with
OpenSSH as of its own time and not after the rotation; the new key's act verifies after
it; another namespace never does. Only OpenSSH's `ssh-keygen` decides (openssh-client,
installed by localdev/system-deps.sh); the text comes from `grantreview people
allowed-signers`.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from cli.acts import people_app
from infra.identity.people import load_person_key
from schemas.people import sshsig
from schemas.people.acts import Act, ActType
from schemas.people.allowed_signers import openssh_time
from tests.support.people import make_key, people_yaml

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs OpenSSH")

ROTATED = "2024-06-01"


def _act(actor: str, when: datetime) -> Act:
    return Act(
        type=ActType.OVERRIDE,
        program="psp-2017",
        subjects=("stockton-ca",),
        actor=actor,
        people_sha256="0" * 64,
        time=when,
        params={"decision": "eligible", "reason": "court order"},
    )


def _verify(
    tmp: Path,
    allowed: Path,
    act: Act,
    signature: str,
    *,
    at: datetime,
    namespace: str = "grantreview",
) -> subprocess.CompletedProcess[bytes]:
    (tmp / "act.sig").write_text(signature)
    command = ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", act.actor]
    command += ["-n", namespace, f"-Overify-time={openssh_time(at)}", "-s", str(tmp / "act.sig")]
    return subprocess.run(command, input=act.signed_bytes(), capture_output=True, check=False)


def test_openssh_verifies_each_act_only_inside_its_keys_window(tmp_path: Path) -> None:
    """Old key: good on 2024-05-31, not on 2024-06-01; new key: good from 2024-06-01."""
    old, new = make_key(tmp_path, "dora-old"), make_key(tmp_path, "dora-new")
    people = tmp_path / "people.yaml"
    people.write_text(
        people_yaml(
            [
                ("dora", ["determining_official"], old.public, "2020-01-01", ROTATED),
                ("dora", ["determining_official"], new.public, ROTATED, None),
            ]
        )
    )
    printed = CliRunner().invoke(people_app, ["allowed-signers", str(people)])
    assert printed.exit_code == 0, printed.output
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(printed.stdout)

    before = datetime(2024, 5, 31, 23, 59, 59, tzinfo=UTC)
    after = datetime(2024, 6, 1, tzinfo=UTC)
    old_act = _act("dora", before)
    old_sig = sshsig.sign(load_person_key(old.path), old_act.signed_bytes())
    assert _verify(tmp_path, allowed, old_act, old_sig, at=before).returncode == 0
    assert _verify(tmp_path, allowed, old_act, old_sig, at=after).returncode != 0
    new_act = _act("dora", after)
    new_sig = sshsig.sign(load_person_key(new.path), new_act.signed_bytes())
    assert _verify(tmp_path, allowed, new_act, new_sig, at=after).returncode == 0
    assert _verify(tmp_path, allowed, new_act, new_sig, at=before).returncode != 0
    elsewhere = sshsig.sign(load_person_key(new.path), new_act.signed_bytes(), namespace="git")
    assert _verify(tmp_path, allowed, new_act, elsewhere, at=after, namespace="git").returncode != 0
    mallory = _act("mallory", after)
    assert _verify(tmp_path, allowed, mallory, new_sig, at=after).returncode != 0
