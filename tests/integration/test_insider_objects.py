"""An insider with S3 write access plants objects: writers refuse, readers go on (issue #13).

On SeaweedFS, through the CLI's real entry point: a forged or junk checkpoint stops the
next writer with exit 3 before it appends anything; a commit planted at seq 10^12 is one
`audit verify` finding and leaves `status` serving every other jurisdiction (exit 1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.log import EventLog
from infra.eventlog.s3_store import S3ObjectStore
from infra.identity.keys import load_signer
from schemas.log.cumulative_checkpoint import (
    Signer,
    checkpoint_key,
    parse_checkpoint,
    seal_checkpoint,
)
from schemas.log.streams import StreamId, commit_key
from tests.conftest import TEST_BUCKET, Cli, count_objects

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"
STOCKTON = StreamId(program="psp-2017", jurisdiction="stockton-ca")


def _override(cli: Cli, jurisdiction: str) -> tuple[int, str]:
    result = cli("override", jurisdiction, "--program", "psp-2017", "--decision", "eligible",
                 "--reason", "reviewed by hand", "--actor", "clerk")  # fmt: skip
    return result.code, result.stderr


def _two_checkpoints(cli: Cli, client: S3Client, prefix: str, key_file: Path) -> None:
    """The registry imported and stockton-ca overridden, under two cumulative checkpoints.

    Writers now sign transparency-log checkpoints; the cumulative ones of a log from before
    the cut-over are written here as they were then, and writers still check them.
    """
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    log = EventLog(S3ObjectStore(client, TEST_BUCKET), prefix)
    signer = load_signer(key_file)
    registry = log.read_stream(StreamId.registry())[-1]
    heads = {StreamId.registry(): (registry.seq, registry.hash)}
    assert write_checkpoint(log, signer, time=registry.time, heads=heads) is not None
    assert _override(cli, "stockton-ca")[0] == 0
    assert write_checkpoint(log, signer, time=registry.time) is not None


def _forged(client: S3Client, prefix: str) -> bytes:
    """Checkpoint 2 signed by a key outside the keyring, claiming stockton-ca at seq 999."""
    body = client.get_object(Bucket=TEST_BUCKET, Key=checkpoint_key(prefix, 1))["Body"].read()
    real = parse_checkpoint(body)
    heads = {name: (head.seq, head.hash) for name, head in real.heads.items()}
    heads[STOCKTON.name] = (999, "f" * 64)
    other = Signer(Ed25519PrivateKey.generate())
    return seal_checkpoint(seq=2, time=real.time, heads=heads, prev_signature=real.signature,
                           signer=other).to_bytes()  # fmt: skip


@pytest.mark.parametrize("planted", ["forged", "junk"])
def test_writer_refuses_an_untrusted_checkpoint_before_appending(
    cli_s3: Cli,
    admin_client: S3Client,
    operator_client: S3Client,
    s3_prefix: str,
    planted: str,
    key_files: tuple[Path, Path],
) -> None:
    """H2/H4: the next override exits 3 with one line and appends nothing; verify names it."""
    _two_checkpoints(cli_s3, admin_client, s3_prefix, key_files[0])
    body = _forged(admin_client, s3_prefix) if planted == "forged" else b"\x00\xff{["
    admin_client.put_object(Bucket=TEST_BUCKET, Key=checkpoint_key(s3_prefix, 2), Body=body)
    before = count_objects(operator_client, s3_prefix)
    code, stderr = _override(cli_s3, "baltimore-md")
    assert code == 3, stderr
    assert stderr.count("\n") == 1
    assert ("forged_checkpoint" if planted == "forged" else "bad_format") in stderr
    assert count_objects(operator_client, s3_prefix) == before
    result = cli_s3("audit", "verify", "--json")
    found = {(f["seq"], f["kind"]) for f in json.loads(result.stdout)["findings"]}
    assert result.code == 1
    assert found == {(2, "forged_checkpoint" if planted == "forged" else "bad_format")}


def test_a_commit_planted_far_ahead_is_one_finding_and_status_goes_on(
    cli_s3: Cli, admin_client: S3Client, s3_prefix: str, key_files: tuple[Path, Path]
) -> None:
    """H3: a copy of a commit at seq 10^12: one verify finding; status lists the rest, exit 1."""
    _two_checkpoints(cli_s3, admin_client, s3_prefix, key_files[0])
    far = commit_key(s3_prefix, STOCKTON, 10**12)
    copy = admin_client.get_object(Bucket=TEST_BUCKET, Key=commit_key(s3_prefix, STOCKTON, 0))
    admin_client.put_object(Bucket=TEST_BUCKET, Key=far, Body=copy["Body"].read())
    result = cli_s3("audit", "verify", "--json")
    assert result.code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["kind"], f["key"]) for f in findings] == [("stray", far)]
    status = cli_s3("status", "--program", "psp-2017", "--json")
    assert status.code == 1, status.stderr
    rows = {row["jurisdiction"]: row for row in json.loads(status.stdout)}
    assert len(rows) == 4
    assert rows["stockton-ca"]["step"] == "damaged"
    assert all(row["damaged"] is None for slug, row in rows.items() if slug != "stockton-ca")
