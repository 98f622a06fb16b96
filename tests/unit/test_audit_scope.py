"""Auditors get the operators' input checks: a typo is exit 2, a wrong keyring one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.eventlog.memory_store import MemoryObjectStore
from infra.identity.keys import write_keyring
from schemas.base.errors import InputError
from schemas.log.streams import commit_key
from tests.conftest import Cli
from tests.unit.test_verify import OTHER, PREFIX, SIGNER, A, B, _keyring, build
from usecases.audit_acts import list_acts
from usecases.export import export_store
from usecases.replay import replay_store
from usecases.verify import verify_store

KEYRING = _keyring(SIGNER)
CaptureStr = pytest.CaptureFixture[str]


def _log() -> MemoryObjectStore:
    store = MemoryObjectStore()
    build(store)
    return store


def test_replay_refuses_a_jurisdiction_not_in_the_log() -> None:
    """`audit replay --jurisdiction chicgo-il` names the typo instead of a clean empty replay."""
    with pytest.raises(InputError, match=r"jurisdiction\(s\) not in this log.*: chicgo-il$"):
        replay_store(_log(), PREFIX, KEYRING, jurisdictions=["chicgo-il"], workers=1)


def test_replay_refuses_a_program_not_in_the_log() -> None:
    """A program with no stream in the log is refused, naming it."""
    with pytest.raises(InputError, match=r"program\(s\) not in this log: jag-fy2019"):
        replay_store(_log(), PREFIX, KEYRING, programs=["jag-fy2019"], workers=1)


def test_replay_of_a_known_jurisdiction_still_runs() -> None:
    """The check refuses only what is missing: a real slug replays its one stream."""
    report = replay_store(_log(), PREFIX, KEYRING, jurisdictions=[A.jurisdiction], workers=1)
    assert report.ok
    assert [item.jurisdiction for item in report.jurisdictions] == [A.jurisdiction]


def test_a_deleted_stream_is_a_finding_not_a_typo() -> None:
    """A stream a signed checkpoint covers, deleted from the log, stays a finding (exit 1)."""
    store = _log()
    for seq in range(4):
        key = commit_key(PREFIX, B, seq)
        del store._objects[key]
        store._keys.remove(key)
    report = replay_store(store, PREFIX, KEYRING, jurisdictions=[B.jurisdiction], workers=1)
    assert not report.ok
    assert {finding.kind for finding in report.findings} == {"truncated"}


def test_verify_refuses_an_unknown_program_when_asked() -> None:
    """`audit verify -p` with a program the log never held: exit 2, not `ok: 0 streams`."""
    with pytest.raises(InputError, match="jag-fy2019"):
        verify_store(_log(), PREFIX, KEYRING, programs=["jag-fy2019"], refuse_unknown=True)


def test_audit_acts_refuses_unknown_names() -> None:
    """`audit acts -p P chicgo-il` names the typo instead of printing `0 acts`."""
    with pytest.raises(InputError, match="chicgo-il"):
        list_acts(_log(), PREFIX, A.program, ["chicgo-il"])
    with pytest.raises(InputError, match="jag-fy2019"):
        list_acts(_log(), PREFIX, "jag-fy2019")


def test_a_keyring_that_signs_nothing_names_the_keys_seen() -> None:
    """With another log's keyring both reports name the key that did sign, and only it."""
    store = _log()
    wrong = _keyring(OTHER)
    verified = verify_store(store, PREFIX, wrong)
    replayed = replay_store(store, PREFIX, wrong, workers=1)
    assert verified.untrusted_signers == (SIGNER.fingerprint,)
    assert replayed.untrusted_signers == (SIGNER.fingerprint,)
    assert not verified.ok


def test_the_right_keyring_names_no_untrusted_signer() -> None:
    """The writer's own keyring: nothing to report."""
    assert verify_store(_log(), PREFIX, KEYRING).untrusted_signers == ()


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A downloaded copy of the signed log, and both keyrings beside it."""
    export_store(_log(), PREFIX, tmp_path / "copy")
    write_keyring(tmp_path / "right.json", KEYRING)
    write_keyring(tmp_path / "other.json", _keyring(OTHER))
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ("audit", "replay", "--jurisdiction", "chicgo-il", "--verify-key", "right.json"),
        ("audit", "replay", "-p", "jag-fy2019", "--verify-key", "right.json"),
        ("audit", "verify", "-p", "jag-fy2019", "--verify-key", "right.json"),
        ("audit", "acts", "-p", "psp-2017", "chicgo-il"),
    ],
)
def test_auditor_typos_exit_2_in_one_line(
    args: tuple[str, ...], copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: CaptureStr
) -> None:
    """Each auditor command refuses a name the log lacks: exit 2, one line, nothing on stdout."""
    monkeypatch.chdir(copy)
    result = Cli({}, monkeypatch, capsys)(*args, "--source", "copy")
    assert result.code == 2, result
    assert result.stderr.count("\n") == 1
    assert "not in this log" in result.stderr
    assert result.stdout == ""


def test_the_wrong_keyring_is_one_line_naming_the_key_seen(
    copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: CaptureStr
) -> None:
    """`audit verify` with another log's keyring: exit 1, one line with the signer's key id."""
    monkeypatch.chdir(copy)
    cli = Cli({}, monkeypatch, capsys)
    result = cli("audit", "verify", "--source", "copy", "--verify-key", "other.json")
    assert result.code == 1, result
    expected = (
        f"FAILED: no trusted key matches: the log is signed by {SIGNER.fingerprint[:16]}..., "
        "none in the keyring"
    )
    assert result.stdout.splitlines() == [expected]
    right = cli("audit", "verify", "--source", "copy", "--verify-key", "right.json")
    assert right.code == 0, right
