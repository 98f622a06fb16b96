"""Issue #21's attacks on SeaweedFS, as an insider with the operator's S3 access but no key.

Each plants or rewrites unsigned objects through S3 and runs the real CLI in processes:
a junk batch claim (writers go on; once stale it is skipped and `audit verify` says
`abandoned_batch`), a commit kept out of the tree (`not_in_tree` with no sweep), a
rewritten index entry (verify names it; no bad receipt is handed out), and Go's
`sumdb/tlog` following `{prefix}tlog/checkpoint` and the tiles straight from the bucket.
"""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mypy_boto3_s3 import S3Client

from infra.identity.keys import load_keyring, load_signer
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.streams import StreamId, commit_key
from schemas.tlog.layout import Batch, batch_key, index_body, index_key, log_origin
from schemas.tlog.note import NoteVerifier
from tests.conftest import TEST_BUCKET, CliResult, run_cli_process
from tests.integration.test_tlog_go_interop import go_env
from tests.support.builders import csv_bytes, synthetic_jurisdictions

pytestmark = pytest.mark.slow

PROGRAM = "psp-2017"
GO_PROOF = Path(__file__).parent / "go_tlog_proof" / "main.go"


def _keys(client: S3Client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=TEST_BUCKET, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _get(client: S3Client, key: str) -> bytes:
    return client.get_object(Bucket=TEST_BUCKET, Key=key)["Body"].read()


def _import(env: dict[str, str], tmp_path: Path, first: int, count: int) -> CliResult:
    """`jurisdictions import` of `count` synthetic places from the `first`-th on."""
    places = synthetic_jurisdictions(first + count)[first:]
    path = tmp_path / f"places-{first}.csv"
    path.write_bytes(csv_bytes(places))
    return run_cli_process(env, "jurisdictions", "import", path)


def _verify(env: dict[str, str]) -> tuple[int, list[str]]:
    """`audit verify --json`: its exit code and the kinds of its findings."""
    done = run_cli_process(env, "audit", "verify", "--json")
    return done.code, [finding["kind"] for finding in json.loads(done.stdout)["findings"]]


def _newest_batch(client: S3Client, prefix: str) -> dict[str, object]:
    batches = _keys(client, f"{prefix}tlog/batches/")
    document: dict[str, object] = json.loads(_get(client, batches[-1]))
    return document


def _plant_junk_claim(client: S3Client, prefix: str, *, age: timedelta) -> int:
    """A claim on the next seq naming a commit that does not exist (plain JSON, no key)."""
    newest = _newest_batch(client, prefix)
    seq, size = int(str(newest["seq"])), int(str(newest["old_size"]))
    size += len(newest["commits"])  # type: ignore[arg-type]  # a JSON list
    missing = commit_key(prefix, StreamId(program=PROGRAM, jurisdiction="nowhere-ca"), 99)
    claim = Batch(seq=seq + 1, prev=seq, old_size=size, commits=(missing,),
                  time=datetime.now(UTC) - age)  # fmt: skip
    client.put_object(Bucket=TEST_BUCKET, Key=batch_key(prefix, seq + 1), Body=claim.to_bytes())
    return seq + 1


def test_a_fresh_junk_claim_never_stops_a_writer(
    cli_env: dict[str, str], operator_client: S3Client, s3_prefix: str, tmp_path: Path
) -> None:
    """Inside the bound the import still exits 0 (its commits wait); verify does not fail."""
    assert _import(cli_env, tmp_path, 0, 2).code == 0
    _plant_junk_claim(operator_client, s3_prefix, age=timedelta(0))
    done = _import(cli_env, tmp_path, 2, 2)
    assert done.code == 0, done
    code, kinds = _verify(cli_env)
    assert (code, kinds) == (0, []), kinds


def test_a_stale_junk_claim_is_skipped_on_record_and_verify_reports_it(
    cli_env: dict[str, str], operator_client: S3Client, s3_prefix: str, tmp_path: Path
) -> None:
    """Past the bound the next writer supersedes the claim; verify: abandoned_batch, exit 1."""
    assert _import(cli_env, tmp_path, 0, 2).code == 0
    junk = _plant_junk_claim(operator_client, s3_prefix, age=timedelta(minutes=10))
    done = _import(cli_env, tmp_path, 2, 2)
    assert done.code == 0, done
    newest = _newest_batch(operator_client, s3_prefix)
    assert (newest["seq"], newest["prev"]) == (junk + 1, junk - 1)
    code, kinds = _verify(cli_env)
    assert (code, kinds) == (1, ["abandoned_batch"]), kinds


def _dead_run_commit(
    client: S3Client, prefix: str, keys: tuple[Path, Path], slug: str, sealed: datetime
) -> str:
    """A signed commit PUT straight into the bucket, as a run that died before integrating."""
    stream = StreamId(program=PROGRAM, jurisdiction=slug)
    letter = LetterSent(letter_sha256="a" * 64, letter_date=sealed.date(), response_due=None,
                        delivery="none")  # fmt: skip
    commit = seal_commit(stream=stream, seq=0, prev=GENESIS, idempotency_key=f"dead-{slug}",
                         payloads=[letter], time=sealed, actor="test",
                         signer=load_signer(keys[0]))  # fmt: skip
    key = commit_key(prefix, stream, 0)
    client.put_object(Bucket=TEST_BUCKET, Key=key, Body=commit.to_bytes(), IfNoneMatch="*")
    return key


def test_a_commit_kept_out_of_the_tree_is_reported_without_any_sweep(
    cli_env: dict[str, str],
    operator_client: S3Client,
    s3_prefix: str,
    tmp_path: Path,
    key_files: tuple[Path, Path],
) -> None:
    """A planted index entry keeps nothing out; a dead run's old commit is `not_in_tree`."""
    assert _import(cli_env, tmp_path, 0, 2).code == 0
    registry = sorted(k for k in _keys(operator_client, f"{s3_prefix}streams/") if "_registry" in k)
    head = registry[-1]
    next_key = head[: -len("00000000000000000000.json")] + f"{int(head[-25:-5]) + 1:020d}.json"
    planted = index_key(s3_prefix, next_key)
    operator_client.put_object(Bucket=TEST_BUCKET, Key=planted, Body=index_body(0, 0))
    old = _dead_run_commit(operator_client, s3_prefix, key_files, "dead-run-ca",
                           datetime.now(UTC) - timedelta(hours=3))  # fmt: skip
    assert _import(cli_env, tmp_path, 2, 2).code == 0  # a run batch, no sweep
    batches = [json.loads(_get(operator_client, k))
               for k in _keys(operator_client, f"{s3_prefix}tlog/batches/")]  # fmt: skip
    assert not any(batch["sweep"] for batch in batches)
    leaves = [key for batch in batches for key in batch["commits"]]
    assert next_key in leaves  # the planted entry did not keep it out
    done = run_cli_process(cli_env, "audit", "verify", "--json")
    findings = json.loads(done.stdout)["findings"]
    assert done.code == 1
    assert sorted((f["kind"], f["key"]) for f in findings) == sorted(
        [("not_in_tree", old), ("tree_mismatch", next_key)]
    )
    assert run_cli_process(cli_env, "checkpoint").code == 0  # the sweep takes the dead commit
    assert _verify(cli_env) == (1, ["tree_mismatch"])  # only the planted entry remains


def test_receipts_check_the_tree_and_a_stock_reader_follows_the_bucket(
    cli_env: dict[str, str],
    operator_client: S3Client,
    admin_client: S3Client,
    s3_prefix: str,
    tmp_path: Path,
    key_files: tuple[Path, Path],
) -> None:
    """A rewritten entry misleads no receipt; a replaced commit gets none (exit 3); Go reads."""
    key = _dead_run_commit(operator_client, s3_prefix, key_files, "stockton-ca",
                           datetime.now(UTC))  # fmt: skip
    assert run_cli_process(cli_env, "checkpoint").code == 0
    receipt = ("receipt", "stockton-ca", "--program", PROGRAM, "--seq", "0")
    proof = tmp_path / "r.tlog-proof"
    assert run_cli_process(cli_env, *receipt, "--out", proof).code == 0
    _follow_with_go(operator_client, s3_prefix, key_files, key, proof, tmp_path)

    other = _dead_run_commit(operator_client, s3_prefix, key_files, "baltimore-md",
                             datetime.now(UTC))  # fmt: skip
    assert run_cli_process(cli_env, "checkpoint").code == 0
    admin_client.put_object(
        Bucket=TEST_BUCKET, Key=index_key(s3_prefix, key), Body=index_body(1, 1)
    )  # now points at baltimore-md's leaf
    code, kinds = _verify(cli_env)
    assert (code, kinds) == (1, ["tree_mismatch"])
    again = tmp_path / "again.tlog-proof"
    made = run_cli_process(cli_env, *receipt, "--out", again)
    assert made.code == 0, made
    assert again.read_text().split("\n")[2] == "index 0"
    assert run_cli_process(cli_env, "verify-receipt", again).code == 0

    admin_client.put_object(Bucket=TEST_BUCKET, Key=key, Body=_get(operator_client, other))
    refused = run_cli_process(cli_env, *receipt, "--out", tmp_path / "bad.tlog-proof")
    assert refused.code == 3, refused
    assert "receipt_invalid" in refused.stderr
    assert not (tmp_path / "bad.tlog-proof").exists()


def _follow_with_go(
    client: S3Client,
    prefix: str,
    keys: tuple[Path, Path],
    key: str,
    ours: Path,
    tmp_path: Path,
) -> None:
    """Go's tlog.ProveRecord over `tlog/checkpoint` and the tiles as downloaded; we agree."""
    go, env = go_env(tmp_path)
    binary = tmp_path / "go_tlog_proof"
    subprocess.run([go, "build", "-o", str(binary), str(GO_PROOF)], env=env, check=True,
                   timeout=300)  # fmt: skip
    mirror = tmp_path / "mirror"
    for stored in [f"{prefix}tlog/checkpoint", *_keys(client, f"{prefix}tlog/tile/")]:
        path = mirror / stored.removeprefix(f"{prefix}tlog/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_get(client, stored))
    public = bytes.fromhex(load_keyring(keys[1]).keys[0].public_key)
    (mirror / "vkey").write_text(NoteVerifier(log_origin(TEST_BUCKET, prefix), public).vkey())
    record = tmp_path / "record"
    record.write_bytes(_get(client, key))
    written = tmp_path / "go.tlog-proof"
    done = subprocess.run(
        [str(binary), "write", str(mirror), "0", str(record), str(written)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout
    assert written.read_text() == ours.read_text()
    assert base64.b64decode(written.read_text().split("\n")[1].removeprefix("extra ")) == (
        record.read_bytes()
    )
