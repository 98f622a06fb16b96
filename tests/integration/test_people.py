"""Accountable people on SeaweedFS: roles, refusals, two-person rule, rotation, tampering, OpenSSH.

No Prefect server is needed: import, override, approve and the audits run without flows.
"""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mypy_boto3_s3 import S3Client

from infra.identity.keys import load_signer
from localdev.prefect_server import PrefectServer
from schemas.base.canonical import canonical_json
from schemas.log.commit import CommitSignature, commit_hash, signing_message
from tests.conftest import TEST_BUCKET, Cli, CliResult, count_objects, signing_env
from tests.support.people import PersonKey, copy_program, make_key, people_yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "programs" / "psp-2017" / "examples"
PROGRAM = "psp-2017"
PASSPHRASE = "correct horse battery staple"


class Office:
    """Olga (operator, passphrase on her key), Dora and Dan (determining officials)."""

    def __init__(
        self,
        tmp_path: Path,
        env: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        self.tmp, self.env = tmp_path, env
        self.monkeypatch, self.capsys = monkeypatch, capsys
        self.keys: dict[str, PersonKey] = {
            "olga": make_key(tmp_path, "olga", PASSPHRASE.encode()),
            "dora": make_key(tmp_path, "dora"),
            "dan": make_key(tmp_path, "dan"),
        }
        self.people = tmp_path / "people.yaml"
        self.write_people(
            [
                ("olga", ["operator"], self.keys["olga"].public, "2020-01-01", None),
                ("dora", ["determining_official"], self.keys["dora"].public, "2020-01-01", None),
                ("dan", ["determining_official"], self.keys["dan"].public, "2020-01-01", None),
            ]
        )
        self.outputs: list[CliResult] = []

    def write_people(self, entries: list[tuple[str, list[str], str, str, str | None]]) -> None:
        """Replace the people file (as an administrator does)."""
        self.people.write_text(people_yaml(entries))

    def run(
        self,
        person: str,
        *args: str | Path,
        key: PersonKey | None = None,
        agent: Path | None = None,
    ) -> CliResult:
        """Run the CLI as `person`, signing with their key file (or `key`, or the `agent`)."""
        env = {
            **self.env,
            "GRANTREVIEW_PEOPLE_FILE": str(self.people),
            "GRANTREVIEW_ACTOR": person,
            "GRANTREVIEW_LOG_LEVEL": "INFO",
        }
        if agent is None:
            env["GRANTREVIEW_PERSON_KEY_FILE"] = str((key or self.keys[person]).path)
            env["GRANTREVIEW_PERSON_KEY_PASSPHRASE"] = PASSPHRASE if person == "olga" else ""
            self.monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
        else:
            env["SSH_AUTH_SOCK"] = str(agent)
            self.monkeypatch.delenv("GRANTREVIEW_PERSON_KEY_FILE", raising=False)
            self.monkeypatch.delenv("GRANTREVIEW_PERSON_KEY_PASSPHRASE", raising=False)
        result = Cli(env, self.monkeypatch, self.capsys)(*args)
        self.outputs.append(result)
        return result

    def assert_acts_verify(self, types: list[str], person: str, public: str) -> None:
        """`audit acts` lists these acts by `person`, and OpenSSH verifies every one."""
        listed = self.run(person, "audit", "acts", "--program", PROGRAM, "--json")
        assert listed.code == 0, listed
        rows = json.loads(listed.stdout)
        assert [(row["type"], row["actor"], row["verifies"]) for row in rows] == [
            (kind, person, True) for kind in types
        ]
        for row in rows:
            checked = ssh_verify(self.tmp, row, public)
            assert checked.returncode == 0, checked.stderr

    def assert_no_secret(self, client: S3Client, prefix: str, secrets: list[bytes]) -> None:
        """No secret in any output or log line of this office's runs, nor in any object."""
        texts = [(r.stdout + r.stderr).encode() for r in self.outputs]
        stored = stored_objects(client, prefix)
        for secret in secrets:
            assert not any(secret in text for text in texts)
            assert not any(secret in body for body in stored.values())


@pytest.fixture
def office(
    tmp_path: Path,
    s3_env: dict[str, str],
    key_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Office:
    """The office, with the seed jurisdictions imported by Olga."""
    made = Office(tmp_path, signing_env(s3_env, key_files), monkeypatch, capsys)
    result = made.run("olga", "jurisdictions", "import", EXAMPLES / "jurisdictions.csv")
    assert result.code == 0, result
    return made


def _override(
    office: Office, person: str, slug: str, *extra: str, key: PersonKey | None = None
) -> CliResult:
    args = ["override", slug, "--program", PROGRAM, "--decision", "eligible"]
    return office.run(person, *args, "--reason", "court order", *extra, key=key)


def stored_objects(client: S3Client, prefix: str) -> dict[str, bytes]:
    """Every object under `prefix`, by key: what a secret must not be found in."""
    keys = [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=TEST_BUCKET, Prefix=prefix
        )
        for item in page.get("Contents", [])
    ]
    return {key: client.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].read() for key in keys}


def ssh_verify(tmp: Path, row: dict[str, Any], public: str) -> subprocess.CompletedProcess[bytes]:
    """`ssh-keygen -Y verify` of one `audit acts --json` row against `public`."""
    (tmp / "allowed_signers").write_text(f"{row['actor']} {public}\n")
    (tmp / "act.sig").write_text(row["signature"])
    allowed, signature = str(tmp / "allowed_signers"), str(tmp / "act.sig")
    command = ["ssh-keygen", "-Y", "verify", "-f", allowed, "-I", row["actor"], "-n", "grantreview"]
    return subprocess.run(
        [*command, "-s", signature],
        input=row["signed_bytes"].encode(),
        capture_output=True,
        check=False,
    )


def test_roles_refusals_openssh_both_ways_and_no_secret_anywhere(
    office: Office, operator_client: S3Client, s3_prefix: str
) -> None:
    """Operator may not override (exit 2, nothing written); ssh-keygen and we agree both ways."""
    before = count_objects(operator_client, s3_prefix)
    refused = _override(office, "olga", "stockton-ca")
    assert refused.code == 2, refused
    assert "actor_not_authorized" in refused.stderr
    assert count_objects(operator_client, s3_prefix) == before
    assert _override(office, "dora", "stockton-ca").code == 0
    # ssh-keygen signs an act we prepared; the CLI records it.
    prepared = _override(office, "dora", "baltimore-md", "--prepare")
    assert prepared.code == 0, prepared
    act_file = office.tmp / "act.json"
    act_file.write_text(prepared.stdout)
    command = ["ssh-keygen", "-Y", "sign", "-f", str(office.keys["dora"].path), "-n", "grantreview"]
    signed = subprocess.run(
        [*command, str(act_file)],
        capture_output=True,
        check=False,
    )
    assert signed.returncode == 0, signed.stderr
    submitted = office.run("dora", "submit", act_file, "--signature", f"{act_file}.sig")
    assert submitted.code == 0, submitted
    # ssh-keygen verifies every act we list.
    office.assert_acts_verify(["override", "override"], "dora", office.keys["dora"].public)
    verified = office.run("dora", "audit", "verify")
    assert verified.code == 0, verified
    # No private key, passphrase or key path in any output, log line or object.
    secrets = [PASSPHRASE.encode(), b"PRIVATE KEY"]
    for key in office.keys.values():
        seed = key.seed
        secrets += [str(key.path).encode(), seed, base64.b64encode(seed), seed.hex().encode()]
    office.assert_no_secret(operator_client, s3_prefix, secrets)


def test_two_person_rule_never_self_approval(
    office: Office, operator_client: S3Client, s3_prefix: str
) -> None:
    """Under approvals {override: 2}: proposed, self-approval refused, Dan's approval applies it."""
    programs = copy_program(
        ROOT / "programs", office.tmp / "programs", PROGRAM, "approvals: {override: 2}"
    )
    office.env["GRANTREVIEW_PROGRAMS_DIR"] = str(programs)
    proposed = _override(office, "dora", "stockton-ca", "--json")
    assert proposed.code == 0, proposed
    document = json.loads(proposed.stdout)
    assert document["status"] == "proposed"
    act_id = document["act_id"]
    status = office.run("dan", "status", "--program", PROGRAM, "stockton-ca", "--json")
    (row,) = json.loads(status.stdout)
    assert row["overridden"] is False
    assert row["awaiting_approval"][0]["proposed_by"] == "dora"
    before = count_objects(operator_client, s3_prefix)
    own = office.run("dora", "approve", act_id, "--program", PROGRAM)
    assert own.code == 2, own
    assert "self_approval" in own.stderr
    assert count_objects(operator_client, s3_prefix) == before
    assert office.run("dan", "approve", act_id, "--program", PROGRAM).code == 0
    status = office.run("dan", "status", "--program", PROGRAM, "stockton-ca", "--json")
    (row,) = json.loads(status.stdout)
    assert (row["overridden"], row["decision"]) == (True, "eligible")
    assert "awaiting_approval" not in row
    assert office.run("dan", "audit", "verify").code == 0


def test_key_rotation_keeps_old_acts_verifying(office: Office, tmp_path: Path) -> None:
    """Dora's new key (old one given valid_until): new acts use it, old acts still verify."""
    assert _override(office, "dora", "stockton-ca").code == 0
    today = datetime.now(UTC).date()
    new_key = make_key(tmp_path, "dora2")
    keys = office.keys
    office.write_people(
        [
            ("olga", ["operator"], keys["olga"].public, "2020-01-01", None),
            ("dora", ["determining_official"], keys["dora"].public, "2020-01-01", str(today)),
            ("dora", ["determining_official"], new_key.public, str(today), None),
            ("dan", ["determining_official"], keys["dan"].public, "2020-01-01", None),
        ]
    )
    old = _override(office, "dora", "baltimore-md")
    assert old.code == 2, old
    assert _override(office, "dora", "baltimore-md", key=new_key).code == 0
    listed = office.run("dan", "audit", "acts", "--json")
    assert listed.code == 0, listed
    assert all(row["verifies"] for row in json.loads(listed.stdout))
    assert office.run("dan", "audit", "verify").code == 0


def test_an_edited_actor_and_a_changed_people_file_are_found(
    office: Office, admin_client: S3Client, s3_prefix: str, key_files: tuple[Path, Path]
) -> None:
    """An admin re-seals and re-signs a commit with Dan's name: bad_act_signature; then the file."""
    assert _override(office, "dora", "stockton-ca").code == 0
    key = f"{s3_prefix}streams/{PROGRAM}/stockton-ca/{0:020d}.json"
    document = json.loads(admin_client.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].read())
    for event in document["events"]:
        data = event["data"]
        if "signed" in data:
            data["signed"]["act"]["actor"] = "dan"
        if "actor" in data:
            data["actor"] = "dan"
        event.pop("grhash")
    document.pop("sig")
    digest = commit_hash(document)
    signer = load_signer(key_files[0])  # the attacker holds the system key too
    for event in document["events"]:
        event["grhash"] = digest
    document["hash"] = digest
    raw = base64.b64encode(signer.sign(signing_message(digest))).decode()
    document["sig"] = CommitSignature(key_id=signer.fingerprint, sig=raw).model_dump()
    admin_client.put_object(Bucket=TEST_BUCKET, Key=key, Body=canonical_json(document))
    verified = office.run("dan", "audit", "verify", "--json")
    kinds = {finding["kind"] for finding in json.loads(verified.stdout)["findings"]}
    assert verified.code == 1
    assert "bad_act_signature" in kinds
    # the tree (or a checkpoint) holds the old bytes of the rewritten commit
    assert kinds <= {"bad_act_signature", "modified", "tree_mismatch"}
    documents = stored_objects(admin_client, f"{s3_prefix}documents/")
    people_key, body = next((k, b) for k, b in documents.items() if b"people/1" in b)
    admin_client.put_object(
        Bucket=TEST_BUCKET, Key=people_key, Body=body.replace(b"operator", b"determining_official")
    )
    verified = office.run("dan", "audit", "verify", "--json")
    kinds = {finding["kind"] for finding in json.loads(verified.stdout)["findings"]}
    assert "people_file_changed" in kinds


def test_a_review_signed_with_ssh_keygen_runs_on_a_keyless_host(
    office: Office, prefect_server: PrefectServer
) -> None:
    """`review --prepare`, `ssh-keygen -Y sign` on Olga's laptop, `review --act --signature`."""
    office.env.update(prefect_server.env())
    review = ["review", "--program", PROGRAM, "stockton-ca", "--as-of", "2017-08-03"]
    prepared = office.run("olga", *review, "--prepare")
    assert prepared.code == 0, prepared
    act, laptop_key = office.tmp / "review.act", office.tmp / "olga-laptop"
    act.write_text(prepared.stdout)
    laptop_key.write_bytes(office.keys["olga"].path.read_bytes())
    laptop_key.chmod(0o600)
    unlock = ["ssh-keygen", "-p", "-f", str(laptop_key), "-P", PASSPHRASE, "-N", ""]
    subprocess.run(unlock, capture_output=True, check=True)
    sign = ["ssh-keygen", "-Y", "sign", "-f", str(laptop_key), "-n", "grantreview", str(act)]
    subprocess.run(sign, capture_output=True, check=True)
    keyless = {**office.env, "GRANTREVIEW_PEOPLE_FILE": str(office.people)}
    host = Cli(keyless, office.monkeypatch, office.capsys)
    ran = host(*review, "--act", act, "--signature", f"{act}.sig", "--json")
    assert ran.code == 0, ran
    assert [row["jurisdiction"] for row in json.loads(ran.stdout)] == ["stockton-ca"]
    listed = host("audit", "acts", "--program", PROGRAM, "--json")
    assert [(row["type"], row["actor"], row["verifies"]) for row in json.loads(listed.stdout)] == [
        ("review", "olga", True)
    ]
    assert host("audit", "verify").code == 0
