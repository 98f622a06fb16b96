"""A flow that fails prints one `error:` line, whatever PREFECT_LOGGING_LEVEL says (issue #13).

Under `PREFECT_LOGGING_LEVEL=WARNING` a failing flow printed 126-154 stderr lines of
Prefect tracebacks before the CLI's own line; `--debug` is the way to see them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.cumulative_checkpoint import Signer
from schemas.log.streams import StreamId, commit_key
from tests.conftest import TEST_BUCKET, run_cli_process

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PROGRAM = "psp-2017"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _forged_run_record() -> bytes:
    """A runs-stream commit signed by a key outside the keyring (an insider's PutObject)."""
    letter = LetterSent(
        letter_sha256="0" * 64, letter_date=T0.date(), response_due=None, delivery="none"
    )
    return seal_commit(
        stream=StreamId.runs(PROGRAM), seq=0, prev=GENESIS, idempotency_key="forged",
        payloads=[letter], time=T0, actor="insider",
        signer=Signer(Ed25519PrivateKey.generate()),
    ).to_bytes()  # fmt: skip


def test_a_failing_flow_prints_one_line_under_prefect_warning(
    cli_env: dict[str, str], admin_client: S3Client, s3_prefix: str
) -> None:
    """The reevaluate flow meets a forged run record: exit 3 and exactly one stderr line."""
    key = commit_key(s3_prefix, StreamId.runs(PROGRAM), 0)
    admin_client.put_object(Bucket=TEST_BUCKET, Key=key, Body=_forged_run_record())
    env = {**cli_env, "PREFECT_LOGGING_LEVEL": "WARNING"}
    result = run_cli_process(env, "reevaluate", "--program", PROGRAM, timeout=300)
    assert result.code == 3, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "bad_commit_signature" in lines[0]
