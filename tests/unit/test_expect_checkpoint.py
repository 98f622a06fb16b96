"""`audit verify --expect-checkpoint SEQ:SIGNATURE`: a rolled-back or rewritten log is a finding."""

from __future__ import annotations

from typer.testing import CliRunner

from cli.audit import audit_app
from infra.eventlog.memory_store import MemoryObjectStore
from schemas.checkpoint import parse_checkpoint
from schemas.verify import FindingKind, verify_log
from tests.unit.test_verify import KEYRING, PREFIX, A, B, build, run


def _log_with_two_checkpoints() -> tuple[dict[str, bytes], dict[str, bytes]]:
    store = MemoryObjectStore()
    build(store, streams=(A,))  # checkpoint 0
    build(store, streams=(B,))  # checkpoint 1, over both streams
    everything = {key: store.get(key) or b"" for key in store.list_keys(PREFIX)}
    commits = {k: v for k, v in everything.items() if k.startswith(f"{PREFIX}streams/")}
    checkpoints = {k: v for k, v in everything.items() if k.startswith(f"{PREFIX}checkpoints/")}
    return commits, checkpoints


def _newest(checkpoints: dict[str, bytes]) -> tuple[str, int, str]:
    newest = max(checkpoints)
    parsed = parse_checkpoint(checkpoints[newest])
    return newest, parsed.seq, parsed.signature


def test_the_kept_checkpoint_still_there_is_clean() -> None:
    """The newest checkpoint, as the auditor kept it from the report, verifies clean."""
    commits, checkpoints = _log_with_two_checkpoints()
    _, seq, signature = _newest(checkpoints)
    report = verify_log(PREFIX, commits, checkpoints, KEYRING, expected=(seq, signature))
    assert report.ok, report.findings
    assert report.newest_checkpoint_signature == signature


def test_a_log_rolled_back_past_the_kept_checkpoint_is_a_finding() -> None:
    """Deleting the newest checkpoint verifies clean alone; with the kept one it is a finding."""
    commits, checkpoints = _log_with_two_checkpoints()
    key, seq, signature = _newest(checkpoints)
    del checkpoints[key]
    assert run(commits, checkpoints).ok  # what --expect-checkpoint exists for
    report = verify_log(PREFIX, commits, checkpoints, KEYRING, expected=(seq, signature))
    (finding,) = report.findings
    assert finding.kind is FindingKind.TRUNCATED
    assert finding.seq == seq
    assert f"newest is seq {seq - 1}" in finding.detail


def test_a_kept_checkpoint_with_another_signature_is_a_finding() -> None:
    """Same seq, different signature: the checkpoint the auditor kept was replaced."""
    commits, checkpoints = _log_with_two_checkpoints()
    _, seq, signature = _newest(checkpoints)
    other = "0" * len(signature)
    report = verify_log(PREFIX, commits, checkpoints, KEYRING, expected=(seq, other))
    assert [f.kind for f in report.findings] == [FindingKind.MODIFIED]


def test_a_malformed_expectation_is_bad_input() -> None:
    """Not SEQ:SIGNATURE: exit 2 with one line, before any key or log is read."""
    result = CliRunner().invoke(audit_app, ["verify", "--expect-checkpoint", "twelve:xyz"])
    assert result.exit_code == 2
    assert "SEQ:SIGNATURE" in result.output
