"""`audit verify --expect-checkpoint SEQ:SIGNATURE`: a rolled-back or rewritten log is a finding."""

from __future__ import annotations

import base64

from typer.testing import CliRunner

from cli.audit import audit_app
from infra.eventlog.memory_store import MemoryObjectStore
from schemas.audit.verify import FindingKind, parse_expectation, verify_log
from schemas.log.cumulative_checkpoint import parse_checkpoint
from schemas.tlog.layout import batch_key, checkpoint_note_key
from tests.unit.test_tlog_audit import _integrated
from tests.unit.test_tlog_integrator import KEYRING as TLOG_KEYRING
from tests.unit.test_verify import KEYRING, PREFIX, A, B, build, run
from usecases.verify import verify_store


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


def _tlog_log() -> MemoryObjectStore:
    store = MemoryObjectStore()
    _integrated(store)  # two tlog checkpoints: tree sizes 3 and 4
    return store


def test_the_keep_line_after_the_cut_over_is_the_newest_tlog_checkpoint() -> None:
    """After the cut-over `keep` is TREE_SIZE:SIGNATURE of the newest tlog note, and verifies."""
    store = _tlog_log()
    report = verify_store(store, "p/", TLOG_KEYRING)
    assert report.keep is not None
    size, signature = report.keep.split(":", 1)
    assert size == "4"
    note = (store.get(checkpoint_note_key("p/", 1)) or b"").decode()
    assert note.endswith(f" {signature}\n")  # the note's own signature line, as C2SP tools see it
    kept = parse_expectation(report.keep)
    assert kept == (4, signature)
    assert verify_store(store, "p/", TLOG_KEYRING, expected=kept).findings == report.findings


def test_a_tlog_log_rolled_back_past_the_kept_checkpoint_is_a_finding() -> None:
    """The newest tlog checkpoint deleted: the kept tree size 4 is no longer held."""
    store = _tlog_log()
    kept = parse_expectation(verify_store(store, "p/", TLOG_KEYRING).keep or "")
    assert kept is not None
    for key in (checkpoint_note_key("p/", 1), batch_key("p/", 1)):
        del store._objects[key]
        store._keys.remove(key)
    findings = verify_store(store, "p/", TLOG_KEYRING, expected=kept).findings
    rolled = [f for f in findings if f.kind is FindingKind.ROLLED_BACK]
    assert [f.seq for f in rolled] == [4]
    assert "newest is size 3" in rolled[0].detail


def test_a_kept_tlog_checkpoint_with_another_signature_is_a_finding() -> None:
    """Same tree size, another signature: the tlog checkpoint the auditor kept was replaced."""
    store = _tlog_log()
    kept = parse_expectation(verify_store(store, "p/", TLOG_KEYRING).keep or "")
    assert kept is not None
    other = base64.b64encode(bytes(68)).decode()
    findings = verify_store(store, "p/", TLOG_KEYRING, expected=(kept[0], other)).findings
    assert [f.kind for f in findings if f.seq == kept[0]] == [FindingKind.MODIFIED]


def test_both_forms_parse_and_others_do_not() -> None:
    """Hex (cumulative) and base64 of key ID and signature (tlog) are kept; others are refused."""
    tlog = base64.b64encode(bytes(68)).decode()
    assert parse_expectation(f"7:{'AB' * 64}") == (7, "ab" * 64)
    assert parse_expectation(f"12:{tlog}") == (12, tlog)
    assert parse_expectation("12:" + base64.b64encode(bytes(64)).decode()) is None
    assert parse_expectation(f"x:{tlog}") is None
