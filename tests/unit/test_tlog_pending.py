"""Which commits a run integrates: what its process wrote, and the heads it names.

Nothing is looked up per commit (issue #21): what the process wrote is known from memory;
a head it did not write is read once; either is left out when a signed batch since its
time already holds it (a rival's sweep took it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

import infra.eventlog.integrator
from infra.eventlog.integrator import Integrator
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.tlog_store import TlogStore
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.streams import StreamId, commit_key
from schemas.tlog.layout import log_origin
from tests.support.counting import CountingStore
from tests.unit.test_state_index_batches import KEYRING, SIGNER

T0 = datetime(2018, 2, 1, tzinfo=UTC)
LETTER = LetterSent(letter_sha256="a" * 64, letter_date=T0.date(), response_due=None,
                    delivery="none")  # fmt: skip


def _append(log: EventLog, stream: StreamId, count: int) -> None:
    """`count` more commits on `stream`."""
    commits = log.read_stream(stream)
    prev, start = (commits[-1].hash, len(commits)) if commits else (GENESIS, 0)
    for seq in range(start, start + count):
        commit = seal_commit(stream=stream, seq=seq, prev=prev, idempotency_key=f"k{seq}",
                             payloads=[LETTER], time=T0, actor="test", signer=SIGNER)  # fmt: skip
        assert log.append(commit)
        prev = commit.hash


def test_a_run_integrates_what_it_wrote_and_the_heads_it_names() -> None:
    """Own commits of any stream, plus a named head another process wrote; nothing else."""
    store = CountingStore()
    log = EventLog(store, "p/", CommitKeys(SIGNER, KEYRING))
    integrator = Integrator(log, origin=log_origin("b", "p/"), signer=SIGNER, keyring=KEYRING)
    streams = [StreamId(program="psp-2017", jurisdiction=f"j-{n}") for n in range(5)]
    for stream in streams[:4]:
        _append(log, stream, 2)
    integrator.integrate(None, time=T0)
    assert log.written == {}
    other = EventLog(store, "p/", CommitKeys(SIGNER, KEYRING))  # another process
    _append(log, streams[1], 1)
    _append(log, streams[2], 3)
    _append(other, streams[4], 2)  # its head is named below; seq 0 is the sweep's
    _append(other, streams[3], 1)  # not named: the sweep's
    heads = {streams[0]: 1, streams[1]: 2, streams[2]: 4, streams[4]: 1}
    expected = [commit_key("p/", streams[1], 2)]
    expected += [commit_key("p/", streams[2], seq) for seq in (2, 3, 4)]
    expected += [commit_key("p/", streams[4], 1)]
    assert integrator.pending(heads) == sorted(expected)
    integrator.integrate(heads, time=T0)
    assert integrator.pending(heads) == []
    assert log.written == {}
    assert integrator.pending(None) == sorted(
        [commit_key("p/", streams[4], 0), commit_key("p/", streams[3], 2)]
    )


def test_commits_a_rival_sweep_took_are_not_integrated_again() -> None:
    """Another process's sweep integrates our commits first: we find them in its batch."""
    store = CountingStore()
    log = EventLog(store, "p/", CommitKeys(SIGNER, KEYRING))
    streams = [StreamId(program="psp-2017", jurisdiction=f"j-{n}") for n in range(3)]
    for stream in streams:
        _append(log, stream, 1)
    rival = EventLog(store, "p/", CommitKeys(SIGNER, KEYRING))
    now = datetime.now(UTC)  # a batch is searched from when this process wrote, its clock
    Integrator(rival, origin=log_origin("b", "p/"), signer=SIGNER, keyring=KEYRING).integrate(
        None, time=now
    )
    integrator = Integrator(log, origin=log_origin("b", "p/"), signer=SIGNER, keyring=KEYRING)
    assert integrator.pending(dict.fromkeys(streams, 0)) == []
    assert log.written == {}
    newest = integrator.integrate(dict.fromkeys(streams, 0), time=now)
    assert (newest.seq, newest.head.size) == (0, 3)


def test_more_than_one_batch_is_found_once_and_integrated_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eight pending commits in batches of three: three batches, one search for them."""
    monkeypatch.setattr(infra.eventlog.integrator, "_MAX_BATCH", 3)
    log = EventLog(CountingStore(), "p/", CommitKeys(SIGNER, KEYRING))
    integrator = Integrator(log, origin=log_origin("b", "p/"), signer=SIGNER, keyring=KEYRING)
    streams = [StreamId(program="psp-2017", jurisdiction=f"j-{n}") for n in range(4)]
    for stream in streams:
        _append(log, stream, 2)
    searches: list[object] = []
    search = integrator.pending

    def counted(heads: Mapping[StreamId, int] | None, below: int | None = None) -> list[str]:
        searches.append(heads)
        return search(heads, below)

    monkeypatch.setattr(integrator, "pending", counted)
    newest = integrator.integrate(dict.fromkeys(streams, 1), time=T0)
    assert len(searches) == 1
    assert (newest.seq, newest.head.size) == (2, 8)
    tlog = TlogStore(log.store, "p/")
    batches = [found[0] for seq in range(3) if (found := tlog.batch(seq)) is not None]
    assert [len(batch.commits) for batch in batches] == [3, 3, 2]
    keys = [key for batch in batches for key in batch.commits]
    assert keys == sorted(commit_key("p/", s, seq) for s in streams for seq in (0, 1))
    assert integrator.pending(dict.fromkeys(streams, 1)) == []
