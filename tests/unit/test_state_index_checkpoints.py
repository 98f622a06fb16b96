"""The state index's fast path: brought up to date from the newest checkpoint, not a listing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.log import EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.files.programs import load_program
from infra.index.state_index import LoadedStates, load_states, write_snapshot
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.cumulative_checkpoint import Signer
from schemas.log.state import StreamState
from schemas.log.streams import StreamId
from schemas.planning.reevaluation import reevaluate_stream
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from schemas.rules.evaluation import Outcome
from tests.support.builders import seed_decided_streams, synthetic_jurisdictions
from tests.support.counting import CountingStore

ROOT = Path(__file__).resolve().parents[2]
DURING = datetime(2018, 2, 1, tzinfo=UTC)
PROGRAM = "psp-2017"


@pytest.fixture(scope="module")
def bundle() -> ProgramBundle:
    """psp-2017 with a hypothetical California order in force 2018-01-01 to 2018-07-01."""
    return load_program(ROOT / "tests" / "fixtures" / "programs" / "ca-order", PROGRAM)


@pytest.fixture
def seeded(bundle: ProgramBundle) -> tuple[EventLog, CountingStore, list[Jurisdiction]]:
    """Twelve decided streams in a counting memory log."""
    store = CountingStore()
    log = EventLog(store, "p/")
    places = synthetic_jurisdictions(12)
    assert seed_decided_streams(log, bundle, places, workers=4) == 12
    return log, store, places


def _signer() -> Signer:
    return Signer(Ed25519PrivateKey.generate())


def _index(log: EventLog) -> LoadedStates:
    """Load the states and write the snapshot the way the reevaluation flow does."""
    loaded = load_states(log, PROGRAM)
    if loaded.refresh_index:
        write_snapshot(log, PROGRAM, loaded.states.values(), checkpoint_seq=loaded.checkpoint_seq)
    return loaded


def revise(
    log: EventLog,
    bundle: ProgramBundle,
    state: StreamState,
    place: Jurisdiction,
    signer: Signer | None = None,
) -> None:
    """Append the revision the California order now makes to `place`'s stream."""
    found = reevaluate_stream(state, bundle, place, as_of=DURING, known_at=DURING)
    assert found.draft is not None
    commit = seal_commit(
        stream=state.stream,
        seq=state.head_seq + 1,
        prev=state.head_hash,
        idempotency_key=found.draft.idempotency_key,
        payloads=found.draft.payloads,
        time=DURING,
        actor="test",
        signer=signer,
    )
    assert log.append(commit)


def test_without_checkpoints_every_read_lists(
    seeded: tuple[EventLog, CountingStore, list[Jurisdiction]],
) -> None:
    """With no checkpoint in the log every read lists the program's keys (the full path)."""
    log, store, _ = seeded
    _index(log)
    store.listed.clear()
    warm = load_states(log, PROGRAM)
    assert not warm.via_checkpoint
    assert any(prefix.startswith("p/streams/") for prefix in store.listed)
    assert (warm.indexed, warm.moved, warm.read_fully) == (12, 0, 0)


def test_checkpoint_heads_replace_the_listing(
    seeded: tuple[EventLog, CountingStore, list[Jurisdiction]], bundle: ProgramBundle
) -> None:
    """Once a checkpoint exists only moved heads are read, and no stream folder is listed."""
    log, store, places = seeded
    signer = _signer()
    _index(log)
    write_checkpoint(log, signer, time=DURING)
    place = next(p for p in places if p.state == "CA")
    state = load_states(log, PROGRAM).states[place.slug]
    revise(log, bundle, state, place)
    write_checkpoint(log, signer, time=DURING)
    store.listed.clear()
    fast = load_states(log, PROGRAM)
    assert fast.via_checkpoint
    assert (fast.moved, fast.read_fully) == (1, 0)
    assert fast.states[place.slug].decision is Outcome.ELIGIBLE
    assert fast.states[place.slug].head_seq == 1
    assert not [p for p in store.listed if p.startswith("p/streams/") and "_runs" not in p]
    full = {s: (x.head_seq, x.head_hash) for s, x in fast.states.items()}
    fresh = EventLog(MemoryObjectStore(), "p/")
    for key in store.list_keys("p/streams/"):
        fresh.store.put_if_absent(key, store.get(key) or b"")
    assert full == {
        s: (x.head_seq, x.head_hash) for s, x in load_states(fresh, PROGRAM).states.items()
    }


def test_a_move_no_checkpoint_states_waits_for_the_sweep(
    seeded: tuple[EventLog, CountingStore, list[Jurisdiction]], bundle: ProgramBundle
) -> None:
    """A commit no checkpoint states yet stays unseen until the sweep's checkpoint states it."""
    log, _, places = seeded
    signer = _signer()
    write_checkpoint(log, signer, time=DURING)
    _index(log)
    _index(log)
    place = next(p for p in places if p.state == "CA")
    revise(log, bundle, load_states(log, PROGRAM).states[place.slug], place)
    stale = load_states(log, PROGRAM)
    assert stale.via_checkpoint
    assert stale.states[place.slug].head_seq == 0
    write_checkpoint(log, signer, time=DURING)  # the hourly sweep: every head in the log
    swept = load_states(log, PROGRAM)
    assert swept.states[place.slug].head_seq == 1
    assert swept.moved == 1


def test_a_checkpoint_that_disagrees_with_the_stream_is_not_trusted(
    seeded: tuple[EventLog, CountingStore, list[Jurisdiction]], bundle: ProgramBundle
) -> None:
    """A checkpoint naming a hash the stream does not have costs a full read, never bad state."""
    log, _, places = seeded
    signer = _signer()
    write_checkpoint(log, signer, time=DURING)
    _index(log)
    place = next(p for p in places if p.state == "CA")
    state = load_states(log, PROGRAM).states[place.slug]
    revise(log, bundle, state, place)
    write_checkpoint(log, signer, time=DURING, heads={state.stream: (1, "0" * 64)})
    loaded = load_states(log, PROGRAM)
    assert loaded.via_checkpoint
    assert loaded.read_fully == 1
    assert loaded.states[place.slug].head_seq == 1
    assert loaded.states[place.slug].head_hash != "0" * 64


def test_after_the_tlog_cut_over_frozen_cumulative_heads_are_not_trusted(
    seeded: tuple[EventLog, CountingStore, list[Jurisdiction]], bundle: ProgramBundle
) -> None:
    """Once writers sign tlog checkpoints, a move is seen (listed), not hidden by old heads."""
    from infra.eventlog.integrator import Integrator  # noqa: PLC0415 - only this test
    from schemas.log.commit_signature import signer_keyring  # noqa: PLC0415

    log, _, places = seeded
    signer = _signer()
    write_checkpoint(log, signer, time=DURING)  # the last cumulative checkpoint
    _index(log)
    place = next(p for p in places if p.state == "CA")
    revise(log, bundle, load_states(log, PROGRAM).states[place.slug], place)
    tlog = Integrator(
        log, origin="grantreview.tlog/t", signer=signer, keyring=signer_keyring(signer)
    )
    tlog.integrate(None, time=DURING, always_sign=True)  # seeded commits are unsigned
    moved = load_states(log, PROGRAM)
    assert not moved.via_checkpoint
    assert moved.states[place.slug].head_seq == 1


def _side_streams(log: EventLog, acts: int, runs: int) -> None:
    """Commits on the program's `_acts` (people's acts) and `_runs` (run records) streams."""
    for stream, count in ((StreamId.acts(PROGRAM), acts), (StreamId.runs(PROGRAM), runs)):
        prev = GENESIS
        for seq in range(count):
            letter = LetterSent(letter_sha256="a" * 64, letter_date=DURING.date(),
                                response_due=None, delivery="none")  # fmt: skip
            commit = seal_commit(stream=stream, seq=seq, prev=prev, idempotency_key=f"k{seq}",
                                 payloads=[letter], time=DURING, actor="test")  # fmt: skip
            assert log.append(commit)
            prev = commit.hash


@pytest.mark.parametrize("path", ["listing", "checkpoint"])
@pytest.mark.parametrize("runs", [0, 2])
def test_the_acts_stream_never_stands_for_the_runs_stream(
    seeded: tuple[EventLog, CountingStore, list[Jurisdiction]], path: str, runs: int
) -> None:
    """The runs head is `_runs`'s own, however many acts `_acts` holds.

    Otherwise a reevaluation's run record would be appended to `_acts`, or after the acts
    head's seq (a gap in `_runs`), or over an existing run record.
    """
    log, _, _ = seeded
    _side_streams(log, acts=3, runs=runs)
    if path == "checkpoint":  # as in the test above: index, then a checkpoint over the heads
        _index(log)
        write_checkpoint(log, _signer(), time=DURING)
    loaded = load_states(log, PROGRAM)
    assert loaded.via_checkpoint is (path == "checkpoint")
    assert (loaded.runs.stream, loaded.runs.head_seq) == (StreamId.runs(PROGRAM), runs - 1)
    assert not {"_acts", "_runs"} & set(loaded.states)
