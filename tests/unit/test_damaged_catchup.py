"""The state-index catch-up sets a damaged stream aside and reads in bounds (issue #13, H3).

`reevaluate` reads its states here: one planted object (a commit copied to seq 10^12, a
junk object, a commit no trusted key signed, an oversized object) must cost one stream,
reported by name, never the program; and no head a checkpoint claims makes it build one
key per seq.
"""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.files.programs import load_program
from infra.index.state_index import LoadedStates, load_states, write_snapshot
from schemas.events.catalog import LetterSent
from schemas.log.commit import MAX_COMMIT_BYTES, seal_commit
from schemas.log.commit_signature import signer_keyring
from schemas.log.cumulative_checkpoint import Signer
from schemas.log.streams import StreamId, commit_key
from schemas.program.definition import ProgramBundle
from tests.support.builders import seed_decided_streams, synthetic_jurisdictions

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = "psp-2017"
PREFIX = "p/"
FAR = 10**12
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
OTHER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))
T0 = datetime(2018, 2, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_walk_by_seq(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any catch-up loop over more seqs than a test log holds objects."""

    def bounded(*args: int) -> range:
        span = builtins.range(*args)
        assert len(span) < 1000, f"walked {len(span)} seqs: a per-seq structure"
        return span

    monkeypatch.setattr("infra.index._catchup.range", bounded, raising=False)


@pytest.fixture(scope="module")
def bundle() -> ProgramBundle:
    """psp-2017 with a hypothetical California order (the fixture program)."""
    return load_program(ROOT / "tests" / "fixtures" / "programs" / "ca-order", PROGRAM)


@pytest.fixture
def log(bundle: ProgramBundle) -> EventLog:
    """Six decided streams, signed by SIGNER, read against SIGNER's keyring."""
    seeded = EventLog(
        MemoryObjectStore(), PREFIX, CommitKeys(signer=SIGNER, keyring=signer_keyring(SIGNER))
    )
    assert seed_decided_streams(seeded, bundle, synthetic_jurisdictions(6), workers=2) == 6
    return seeded


def _first(log: EventLog) -> StreamId:
    return StreamId(program=PROGRAM, jurisdiction=min(load_states(log, PROGRAM).states))


def _index(log: EventLog) -> LoadedStates:
    """Load and write the snapshot as the reevaluation flow does."""
    loaded = load_states(log, PROGRAM)
    write_snapshot(log, PROGRAM, loaded.states.values(), checkpoint_seq=loaded.checkpoint_seq)
    return loaded


def _head_copy(log: EventLog, stream: StreamId) -> bytes:
    return log.store.get(commit_key(PREFIX, stream, 0)) or b""


def _assert_set_aside(loaded: LoadedStates, stream: StreamId, reason: str) -> None:
    assert set(loaded.damaged) == {stream.jurisdiction}
    assert reason in loaded.damaged[stream.jurisdiction]
    assert stream.jurisdiction not in loaded.states
    assert len(loaded.states) == 5


@pytest.mark.parametrize("indexed", [False, True])
def test_a_commit_planted_far_ahead_sets_only_its_stream_aside(
    log: EventLog, *, indexed: bool
) -> None:
    """A copy of a commit at seq 10^12: that stream is damaged, the five others load."""
    stream = _first(log)
    if indexed:
        _index(log)
    log.store.put_if_absent(commit_key(PREFIX, stream, FAR), _head_copy(log, stream))
    _assert_set_aside(load_states(log, PROGRAM), stream, "does not follow")


def test_junk_and_oversized_objects_set_only_their_streams_aside(log: EventLog) -> None:
    """An object that is no commit and one past the commit cap: two damaged, four load."""
    names = sorted(load_states(log, PROGRAM).states)
    junk, big = (StreamId(program=PROGRAM, jurisdiction=name) for name in names[:2])
    log.store.put_if_absent(commit_key(PREFIX, junk, 1), b"\x00\xff{[")
    log.store.put_if_absent(commit_key(PREFIX, big, 1), b" " * (2 * MAX_COMMIT_BYTES))
    loaded = load_states(log, PROGRAM)
    assert set(loaded.damaged) == {junk.jurisdiction, big.jurisdiction}
    assert "larger than" in loaded.damaged[big.jurisdiction]
    assert len(loaded.states) == 4


def test_a_commit_no_trusted_key_signed_sets_its_stream_aside(log: EventLog) -> None:
    """A well-chained head signed by a key outside the keyring: damaged, never folded."""
    stream = _first(log)
    head = log.read_stream(stream)[-1]
    forged = seal_commit(
        stream=stream, seq=head.seq + 1, prev=head.hash, idempotency_key="forged",
        payloads=[LetterSent(letter_sha256="0" * 64, letter_date=T0.date(), response_due=None,
                             delivery="none")],
        time=T0, actor="insider", signer=OTHER,
    )  # fmt: skip
    _index(log)
    log.store.put_if_absent(commit_key(PREFIX, stream, forged.seq), forged.to_bytes())
    _assert_set_aside(load_states(log, PROGRAM), stream, "bad_commit_signature")


def test_a_checkpoint_claiming_an_absurd_head_costs_one_listing(log: EventLog) -> None:
    """A checkpoint stating a head at seq 10^12: the stream is listed, not walked, and loads."""
    stream = _first(log)
    write_checkpoint(log, SIGNER, time=T0)
    _index(log)
    write_checkpoint(log, SIGNER, time=T0, heads={stream: (FAR, "f" * 64)})
    loaded = load_states(log, PROGRAM)
    assert loaded.via_checkpoint
    assert not loaded.damaged
    assert loaded.states[stream.jurisdiction].head_seq == 0
    assert len(loaded.states) == 6
