"""Witnesses: a log that only grows is cosigned; a rolled-back or forked one is caught."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.memory_store import MemoryObjectStore
from schemas.base.errors import InputError
from schemas.log.cumulative_checkpoint import Signer
from schemas.log.streams import commit_key
from schemas.tlog.cosignature import cosigner_verifier, verify_cosignatures
from schemas.tlog.layout import batch_key, checkpoint_note_key
from schemas.tlog.note import raw_public_key
from tests.unit.test_cli_conventions import _run
from tests.unit.test_tlog_integrator import KEYRING, ORIGIN, T0, A, B, _append, _integrator, _log
from usecases.witness import state_vkeys, witness_log

WITNESS = Signer(Ed25519PrivateKey.from_private_bytes(bytes([9] * 32)))


def _witness(store: MemoryObjectStore, state: Path) -> list[str]:
    outcome = witness_log(
        _log(store), origin=ORIGIN, keyring=KEYRING, state=state, time=T0, key=WITNESS, name="w1"
    )
    return [f.kind.value for f in outcome.findings]


def _audit(store: MemoryObjectStore, state: Path) -> None:
    """An auditor's keyless check (`audit verify --witness-state`): it signs nothing."""
    witness_log(_log(store), origin=ORIGIN, keyring=KEYRING, state=state, time=T0, name="a")


def _delete(store: MemoryObjectStore, key: str) -> None:
    del store._objects[key]
    store._keys.remove(key)


def test_a_growing_log_is_cosigned_each_time(tmp_path: Path) -> None:
    """Each newer consistent checkpoint is remembered and cosigned under witness/NAME/."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 2)
    _integrator(log).integrate(None, time=T0)
    assert _witness(store, tmp_path) == []
    _append(log, B, 1)
    _integrator(log).integrate(None, time=T0 + timedelta(hours=1))
    assert _witness(store, tmp_path) == []
    cosigned = store.get("p/witness/w1/00000000000000000001") or b""
    verifier = cosigner_verifier("w1", raw_public_key(WITNESS.private_key))
    assert [c.name for c in verify_cosignatures(cosigned, [verifier])] == ["w1"]


def test_deleting_the_newest_checkpoint_and_its_commits_is_rolled_back(tmp_path: Path) -> None:
    """An admin who deletes the newest batch, note and commits cannot hide it from a witness."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 1)
    _integrator(log).integrate(None, time=T0)
    _append(log, B, 1)
    _integrator(log).integrate(None, time=T0 + timedelta(hours=1))
    assert _witness(store, tmp_path) == []
    for key in (batch_key("p/", 1), checkpoint_note_key("p/", 1), commit_key("p/", B, 0)):
        _delete(store, key)
    assert _witness(store, tmp_path) == ["rolled_back"]
    assert list(store.list_keys("p/witness/")) == ["p/witness/w1/00000000000000000001"]


def test_a_forked_log_is_inconsistent(tmp_path: Path) -> None:
    """A log rebuilt with other leaves at a larger size does not extend what was seen."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 1)
    _integrator(log).integrate(None, time=T0)
    assert _witness(store, tmp_path) == []
    fork = MemoryObjectStore()
    fork_log = _log(fork)
    _append(fork_log, B, 2)
    _integrator(fork_log).integrate(None, time=T0)
    assert _witness(fork, tmp_path) == ["inconsistent_checkpoint"]


def test_the_state_records_the_witness_vkey_and_keys_vkey_prints_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cosigning run records its vkey; a keyless run keeps it; `keys vkey --witness` prints it."""
    store = MemoryObjectStore()
    log = _log(store)
    _append(log, A, 2)
    _integrator(log).integrate(None, time=T0)
    state = tmp_path / "state"
    _audit(store, state)
    with pytest.raises(InputError, match=r"records no vkey.*--witness-key"):
        state_vkeys(state)
    assert _witness(store, state) == []
    expected = cosigner_verifier("w1", raw_public_key(WITNESS.private_key)).vkey()
    assert state_vkeys(state) == [expected]
    _append(log, B, 1)
    _integrator(log).integrate(None, time=T0 + timedelta(hours=1))
    _audit(store, state)
    (path,) = state.glob("*.json")
    assert json.loads(path.read_text())["seq"] == 1  # moved forward, vkey kept
    assert state_vkeys(path) == [expected]
    code, out, err = _run(monkeypatch, capsys, "keys", "vkey", "--witness", str(state))
    assert (code, out) == (0, expected + "\n"), err
    code, _, err = _run(monkeypatch, capsys, "keys", "vkey", "--witness", str(tmp_path / "none"))
    assert code == 2
    assert "no state file" in err
