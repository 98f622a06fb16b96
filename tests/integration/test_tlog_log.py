"""The transparency log on SeaweedFS, through the CLI: 16 responds at once, receipts, witnesses."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from mypy_boto3_s3 import S3Client

from schemas.tlog.proof import parse_tlog_proof
from tests.conftest import TEST_BUCKET, CliResult, run_cli_process
from tests.support.builders import csv_bytes, synthetic_jurisdictions

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"
PROGRAM = "psp-2017"
WRITERS = 16


def _run_all(env: dict[str, str], commands: list[tuple[str | Path, ...]]) -> list[CliResult]:
    """Start every command as its own process at once; wait for all of them."""
    results: list[CliResult | None] = [None] * len(commands)
    start = threading.Barrier(len(commands))

    def run(index: int) -> None:
        start.wait()
        results[index] = run_cli_process(env, *commands[index], timeout=900)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [result for result in results if result is not None]


def _keys(client: S3Client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=TEST_BUCKET, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _delete_all_versions(client: S3Client, key: str) -> None:
    """As admin: every version and delete marker of `key`, past Object Lock (governance)."""
    listed = client.list_object_versions(Bucket=TEST_BUCKET, Prefix=key)
    for item in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]:
        if item["Key"] == key:
            client.delete_object(
                Bucket=TEST_BUCKET,
                Key=key,
                VersionId=item["VersionId"],
                BypassGovernanceRetention=True,
            )


def _witness_key(path: Path) -> Path:
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    return path


def _check_receipts(cli_env: dict[str, str], slug: str, tmp_path: Path) -> None:
    """The default tlog-proof and the `--json` receipt verify; a flipped commit byte fails."""
    proof_file = tmp_path / "receipt.tlog-proof"
    made = run_cli_process(cli_env, "receipt", slug, "--program", PROGRAM, "--out", proof_file)
    assert made.code == 0, made
    covers = made.stdout.splitlines()[1]  # which record, read from the proven commit bytes
    assert covers.startswith(f"covers stream {PROGRAM}/{slug} seq "), made
    assert "decision.issued" in covers
    checked = run_cli_process(cli_env, "verify-receipt", proof_file)
    assert checked.code == 0, checked
    assert checked.stdout.splitlines()[1] == covers, checked
    letter = run_cli_process(cli_env, "receipt", slug, "-p", PROGRAM, "--event", "letter.sent")
    assert letter.code == 0, letter
    assert f"covers stream {PROGRAM}/{slug} seq 0: letter.sent" in letter.stderr
    printed = run_cli_process(cli_env, "receipt", slug, "--program", PROGRAM)
    assert printed.stdout == proof_file.read_text(), printed  # stdout: the same proof
    proof = parse_tlog_proof(proof_file.read_bytes())
    assert proof.extra is not None
    extra = bytearray(proof.extra)
    extra[len(extra) // 2] ^= 1
    flipped_proof = tmp_path / "flipped.tlog-proof"
    flipped_proof.write_text(replace(proof, extra=bytes(extra)).text())
    refused = run_cli_process(cli_env, "verify-receipt", flipped_proof)
    assert refused.code == 1, refused
    assert "root mismatch" in refused.stdout
    typo = run_cli_process(cli_env, "receipt", "chicgo-il", "--program", PROGRAM)
    assert typo.code == 2, typo  # the auditor's typo: one line, as operators get
    assert typo.stderr == f"error: jurisdiction(s) not in this log for {PROGRAM}: chicgo-il\n"

    receipt_file = tmp_path / "receipt.json"
    made = run_cli_process(
        cli_env, "receipt", slug, "--program", PROGRAM, "--json", "--out", receipt_file
    )
    assert made.code == 0, made
    assert run_cli_process(cli_env, "verify-receipt", receipt_file).code == 0
    document = json.loads(receipt_file.read_text())
    assert base64.b64decode(document["commit"]) == proof.extra
    commit = bytearray(base64.b64decode(document["commit"]))
    commit[len(commit) // 2] ^= 1
    flipped = tmp_path / "flipped.json"
    flipped.write_text(json.dumps({**document, "commit": base64.b64encode(commit).decode()}))
    refused = run_cli_process(cli_env, "verify-receipt", flipped)
    assert refused.code == 1, refused
    assert "root mismatch" in refused.stdout


def test_sixteen_responds_receipts_and_a_witness_that_catches_a_rollback(
    cli_env: dict[str, str], admin_client: S3Client, s3_prefix: str, tmp_path: Path
) -> None:
    """16 responds at once all exit 0 and every commit is a leaf; receipts; rollback caught."""
    places = synthetic_jurisdictions(WRITERS)
    (tmp_path / "places.csv").write_bytes(csv_bytes(places))
    assert run_cli_process(cli_env, "jurisdictions", "import", tmp_path / "places.csv").code == 0
    review = ("review", "--program", PROGRAM, "--all", "--as-of", "2017-08-03")
    assert run_cli_process(cli_env, *review, timeout=600).code == 0
    example = json.loads((EXAMPLES / "stockton-ca.json").read_text())
    commands: list[tuple[str | Path, ...]] = []
    for place in places:
        path = tmp_path / f"{place.slug}.json"
        path.write_text(json.dumps({**example, "jurisdiction": place.slug}))
        commands.append(("respond", place.slug, "--program", PROGRAM, "--file", path))
    results = _run_all(cli_env, commands)
    assert [r.code for r in results] == [0] * WRITERS, results

    verified = run_cli_process(cli_env, "audit", "verify", "--json")
    report = json.loads(verified.stdout)
    assert (verified.code, report["findings"]) == (0, []), verified
    commits = _keys(admin_client, f"{s3_prefix}streams/")
    assert report["tlog_size"] == len(commits)
    assert _keys(admin_client, f"{s3_prefix}tlog/index/") == []  # nothing per commit

    slug = places[0].slug
    _check_receipts(cli_env, slug, tmp_path)

    witness = ("audit", "witness", "--state", tmp_path / "w1", "--name", "w1")
    signed = (*witness, "--key", _witness_key(tmp_path / "w1.pem"))
    first = run_cli_process(cli_env, *signed)
    assert first.code == 0, first
    assert _keys(admin_client, f"{s3_prefix}witness/w1/")
    batches = _keys(admin_client, f"{s3_prefix}tlog/batches/")
    newest = json.loads(admin_client.get_object(Bucket=TEST_BUCKET, Key=batches[-1])["Body"].read())
    seq = newest["seq"]
    notes = [
        k for k in _keys(admin_client, f"{s3_prefix}tlog/checkpoints/") if k.endswith(f"{seq:020d}")
    ]
    assert newest["commits"], "the newest batch should hold commits"
    for key in [batches[-1], *notes, *newest["commits"]]:
        _delete_all_versions(admin_client, key)
    caught = run_cli_process(cli_env, *signed)
    assert caught.code == 1, caught
    assert "rolled_back" in caught.stdout
    audited = run_cli_process(cli_env, "audit", "verify", "--witness-state", tmp_path / "w1")
    assert audited.code == 1, audited
