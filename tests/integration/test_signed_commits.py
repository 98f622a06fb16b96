"""Issue #13, H1: a commit forged with the operator's S3 credentials alone is never built on.

The forger writes a well-chained override to "eligible" straight into the bucket, unsigned
or signed by a key outside the keyring. Writers refuse the stream (exit 3, nothing
appended, no checkpoint covers the forged head) while other streams go on, and `audit
verify` names the commit (exit 1).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from mypy_boto3_s3 import S3Client

from infra.eventlog.log import EventLog
from infra.eventlog.s3_store import S3ObjectStore
from schemas.events.catalog import DecisionOverridden
from schemas.log.cumulative_checkpoint import Signer
from schemas.log.streams import StreamId, commit_key
from schemas.planning.draft import CommitDraft
from schemas.rules.evaluation import Outcome
from schemas.tlog.layout import batch_folder, parse_batch
from tests.conftest import TEST_BUCKET, Cli

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"
STOCKTON = StreamId(program="psp-2017", jurisdiction="stockton-ca")


def _stream_keys(client: S3Client, prefix: str, stream: StreamId) -> list[str]:
    listed = client.list_objects_v2(Bucket=TEST_BUCKET, Prefix=stream.key_prefix(prefix))
    return [item["Key"] for item in listed.get("Contents", [])]


def _leaves(client: S3Client, prefix: str) -> set[str]:
    """Every commit a batch claim of the transparency log names."""
    store = S3ObjectStore(client, TEST_BUCKET)
    claims = store.list_keys(batch_folder(prefix))
    return {key for raw in store.get_many(list(claims)) if raw for key in parse_batch(raw).commits}


def _forge_override(client: S3Client, prefix: str, signer: Signer | None) -> int:
    """With the operator's credentials only: chain an override to eligible onto Stockton."""
    operator = EventLog(S3ObjectStore(client, TEST_BUCKET), prefix)  # no keys, no checks
    state = operator.state(STOCKTON)
    override = DecisionOverridden(decision=Outcome.ELIGIBLE, reason="approved", actor="mallory",
                                  previous=state.effective_decision)  # fmt: skip
    forged = CommitDraft("override", (override,)).seal_on(
        state, time=datetime(2017, 8, 4, tzinfo=UTC), actor="j.doe", flow_run_id=None, signer=signer
    )
    assert operator.append(forged)
    return forged.seq


@pytest.mark.parametrize("outsider", [False, True], ids=["unsigned", "outsider-key"])
def test_forged_commit_stops_writers_and_is_reported(
    cli: Cli, operator_client: S3Client, s3_prefix: str, outsider: bool
) -> None:
    """Review --all, respond and override refuse the forged stream; audit verify names it."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0
    assert cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03").code == 0
    signer = Signer(Ed25519PrivateKey.generate()) if outsider else None
    forged_seq = _forge_override(operator_client, s3_prefix, signer)
    keys = _stream_keys(operator_client, s3_prefix, STOCKTON)

    result = cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-09-20")
    assert result.code == 3, result
    assert "psp-2017/stockton-ca" in result.stderr
    finding = "bad_commit_signature" if outsider else "unsigned_commit"
    assert finding in result.stderr
    respond = cli("respond", "stockton-ca", "--program", "psp-2017",
                  "--file", EXAMPLES / "stockton-ca.json", "--as-of", "2017-08-18")  # fmt: skip
    assert respond.code == 3, respond
    override = cli("override", "stockton-ca", "--program", "psp-2017", "--decision",
                   "ineligible", "--reason", "undo", "--actor", "j.doe")  # fmt: skip
    assert override.code == 3, override
    assert _stream_keys(operator_client, s3_prefix, STOCKTON) == keys  # nothing appended

    leaves = _leaves(operator_client, s3_prefix)
    assert commit_key(s3_prefix, STOCKTON, forged_seq) not in leaves  # never signed
    baltimore = StreamId(program="psp-2017", jurisdiction="baltimore-md")
    assert commit_key(s3_prefix, baltimore, 1) in leaves  # the others went on

    audit = cli("audit", "verify", "--json")
    assert audit.code == 1, audit
    findings = json.loads(audit.stdout)["findings"]
    assert [(f["jurisdiction"], f["seq"], f["kind"]) for f in findings] == [
        ("stockton-ca", forged_seq, finding)
    ]
