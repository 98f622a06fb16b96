"""The one audit pass: `audit verify` and `audit replay` name the same integrity findings."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra.eventlog.memory_store import MemoryObjectStore
from schemas.audit.auditor import AuditEnd, FindingKind, LogAuditor
from schemas.log.chain import chain_break
from schemas.log.commit import GENESIS, Commit, seal_commit
from schemas.log.streams import StreamId, commit_key
from tests.unit.test_verify import KEYRING, PREFIX, T0, A, _payload, build, objects
from usecases.replay import replay_store
from usecases.verify import verify_store

INTEGRITY = {kind.value for kind in FindingKind}


def _drop(store: MemoryObjectStore, key: str) -> None:
    del store._objects[key]
    store._keys.remove(key)


def _replace(store: MemoryObjectStore, key: str, body: bytes) -> None:
    store._objects[key] = body


def _drop_checkpoints(store: MemoryObjectStore) -> None:
    for key in list(store.list_keys(f"{PREFIX}checkpoints/")):
        _drop(store, key)


def _only_stream_damaged(store: MemoryObjectStore) -> None:
    """Every commit object damaged and nothing signed: the log holds objects, none intact."""
    _drop_checkpoints(store)
    for key in list(store.list_keys(f"{PREFIX}streams/")):
        _replace(store, key, b"{}")


TAMPERINGS: dict[str, Callable[[MemoryObjectStore], object]] = {
    "removed": lambda s: _drop(s, commit_key(PREFIX, A, 1)),
    "truncated": lambda s: _drop(s, commit_key(PREFIX, A, 3)),
    "modified": lambda s: _replace(s, commit_key(PREFIX, A, 2), b'{"not": "a commit"}'),
    "stray key": lambda s: s.put_if_absent(f"{PREFIX}streams/psp-2017/stray.json", b"{}"),
    "unsigned": _drop_checkpoints,
    "nothing intact, nothing signed": _only_stream_damaged,
}


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_verify_and_replay_name_the_same_integrity_findings(name: str) -> None:
    """Whatever the damage, replay's integrity findings are exactly those of verify."""
    store = MemoryObjectStore()
    build(store, streams=(A,))
    TAMPERINGS[name](store)
    verified = verify_store(store, PREFIX, KEYRING)
    replayed = replay_store(store, PREFIX, KEYRING, workers=2)
    expected = [(f.location, str(f.kind), f.detail, f.key) for f in verified.findings]
    found = [
        (f.location, f.kind, f.detail, f.key) for f in replayed.findings if f.kind in INTEGRITY
    ]
    assert expected
    assert sorted(found) == sorted(expected)


def _chain(stream: StreamId, n: int) -> list[Commit]:
    commits: list[Commit] = []
    prev = GENESIS
    for seq in range(n):
        commit = seal_commit(
            stream=stream, seq=seq, prev=prev, idempotency_key=f"k{seq}",
            payloads=[_payload(seq)], time=T0, actor="test",
        )  # fmt: skip
        commits.append(commit)
        prev = commit.hash
    return commits


def test_chain_break_names_the_first_commit_off_the_chain() -> None:
    """A gap, a foreign commit or a wrong start is found at the seq it should have held."""
    commits = _chain(A, 4)
    other = StreamId(program="psp-2017", jurisdiction="baltimore-md")
    assert chain_break(A, commits) is None
    assert chain_break(A, commits[2:], seq=2, prev=commits[1].hash) is None
    assert chain_break(A, [commits[0], commits[2]]) == (1, commits[2])
    assert chain_break(other, commits) == (0, commits[0])
    assert chain_break(A, commits[1:], seq=1, prev=GENESIS) == (1, commits[1])


def test_chain_break_is_named() -> None:
    """The break says which seq it expected and which commit it found, by name."""
    commits = _chain(A, 3)
    broken = chain_break(A, [commits[0], commits[2]])
    assert broken is not None
    assert (broken.seq, broken.commit) == (1, commits[2])


def test_the_audit_pass_runs_in_one_order_only() -> None:
    """Start, group, audit each stream, finish once; a kept checkpoint is asked of the end."""
    commits, checkpoints = objects()
    auditor = LogAuditor.start(PREFIX, checkpoints, KEYRING)
    assert not hasattr(auditor, "expect")  # nothing that needs the whole pass before it ends
    streams, bad_keys = auditor.group(sorted(commits))
    assert bad_keys == []
    for stream, keys in streams.items():
        auditor.audit(stream, {seq: (key, commits[key]) for seq, key in keys.items()})
    end = auditor.finish()
    assert isinstance(end, AuditEnd)
    assert (end.unseen, end.log_wide) == ([], [])
    newest = auditor.newest
    assert newest is not None
    assert end.expect(newest.seq, newest.signature) == []
    assert end.expect(newest.seq, "00" * 64) != []
    stream, keys = next(iter(streams.items()))
    with pytest.raises(RuntimeError, match="finished"):
        auditor.audit(stream, {seq: (key, commits[key]) for seq, key in keys.items()})
    with pytest.raises(RuntimeError, match="already finished"):
        auditor.finish()
