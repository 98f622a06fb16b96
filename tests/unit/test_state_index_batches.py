"""The state index after the cut-over: brought up to date from the tlog's batches, not a listing."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.documents import DocumentStore
from infra.eventlog.integrator import Integrator
from infra.eventlog.log import CommitKeys, EventLog
from infra.files.programs import load_program
from infra.index.state_index import LoadedStates, latest_snapshot, load_states, write_snapshot
from schemas.log import state_snapshot
from schemas.log.commit_signature import signer_keyring
from schemas.log.cumulative_checkpoint import Signer
from schemas.log.state import fold
from schemas.log.state_snapshot import SnapshotFormatError, StateSnapshot
from schemas.log.streams import StreamId, commit_key
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from schemas.rules.evaluation import Outcome
from schemas.tlog.layout import Batch, batch_key, log_origin
from tests.support.builders import seed_decided_streams, synthetic_jurisdictions
from tests.support.counting import CountingStore
from tests.unit.test_state_index_checkpoints import revise

ROOT = Path(__file__).resolve().parents[2]
DURING = datetime(2018, 2, 1, tzinfo=UTC)
PROGRAM = "psp-2017"
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
KEYRING = signer_keyring(SIGNER)
Seeded = tuple[EventLog, CountingStore, list[Jurisdiction]]


@pytest.fixture(scope="module")
def bundle() -> ProgramBundle:
    """psp-2017 with a hypothetical California order in force 2018-01-01 to 2018-07-01."""
    return load_program(ROOT / "tests" / "fixtures" / "programs" / "ca-order", PROGRAM)


@pytest.fixture
def seeded(bundle: ProgramBundle) -> Seeded:
    """Twelve decided, signed streams, all integrated into the tree (the cut-over is done)."""
    store = CountingStore()
    log = EventLog(store, "p/", CommitKeys(SIGNER, KEYRING))
    places = synthetic_jurisdictions(12)
    assert seed_decided_streams(log, bundle, places, workers=4) == 12
    _integrator(log).integrate(None, time=DURING)
    return log, store, places


def _integrator(log: EventLog) -> Integrator:
    return Integrator(log, origin=log_origin("b", "p/"), signer=SIGNER, keyring=KEYRING)


def _index(log: EventLog) -> LoadedStates:
    """Load the states and write the snapshot the way the reevaluation flow does."""
    loaded = load_states(log, PROGRAM)
    if loaded.refresh_index:
        write_snapshot(
            log,
            PROGRAM,
            loaded.states.values(),
            checkpoint_seq=loaded.checkpoint_seq,
            tlog_batch_seq=loaded.tlog_batch_seq,
        )
    return loaded


def _revise(log: EventLog, bundle: ProgramBundle, place: Jurisdiction) -> StreamId:
    """Append one signed revision to `place`'s stream (the California order now applies)."""
    stream = StreamId(program=PROGRAM, jurisdiction=place.slug)
    revise(log, bundle, fold(stream, log.read_stream(stream)), place, SIGNER)
    return stream


def _commit_listings(store: CountingStore) -> list[str]:
    """Listings of the program's review streams (the runs stream's own is allowed)."""
    return [p for p in store.listed if p.startswith(f"p/streams/{PROGRAM}") and "_runs" not in p]


def _heads(loaded: LoadedStates) -> dict[str, tuple[int, str]]:
    return {slug: (s.head_seq, s.head_hash) for slug, s in loaded.states.items()}


def test_nothing_changed_lists_no_commit_keys(seeded: Seeded) -> None:
    """After the cut-over a warm read with nothing new lists no commit key of the program."""
    log, store, _ = seeded
    first = _index(log)
    assert not first.via_batches
    assert first.tlog_batch_seq == 0
    store.reset()
    warm = load_states(log, PROGRAM)
    assert warm.via_batches
    assert not _commit_listings(store)
    assert (warm.indexed, warm.moved, warm.read_fully, warm.refresh_index) == (12, 0, 0, False)
    assert _heads(warm) == _heads(first)


def test_an_integrated_commit_is_seen_via_the_batches(
    seeded: Seeded, bundle: ProgramBundle
) -> None:
    """A revision appended and integrated is read from its indexed head, nothing listed."""
    log, store, places = seeded
    _index(log)
    place = next(p for p in places if p.state == "CA")
    stream = _revise(log, bundle, place)
    _integrator(log).integrate({stream: 1}, time=DURING)
    store.reset()
    fast = load_states(log, PROGRAM)
    assert fast.via_batches
    assert not _commit_listings(store)
    assert (fast.moved, fast.read_fully, fast.tlog_batch_seq) == (1, 0, 1)
    assert fast.states[place.slug].head_seq == 1
    assert fast.states[place.slug].decision is Outcome.ELIGIBLE
    write_snapshot(log, PROGRAM, [])  # an empty snapshot naming no batch: read every stream
    assert _heads(load_states(log, PROGRAM)) == _heads(fast)


def test_a_commit_not_yet_integrated_waits_for_integration(
    seeded: Seeded, bundle: ProgramBundle
) -> None:
    """The staleness bound: a commit is seen once integrated (a run's end or the sweep)."""
    log, _, places = seeded
    _index(log)
    place = next(p for p in places if p.state == "CA")
    _revise(log, bundle, place)
    stale = load_states(log, PROGRAM)
    assert stale.via_batches
    assert stale.states[place.slug].head_seq == 0
    _integrator(log).integrate(None, time=DURING)  # the hourly sweep
    swept = load_states(log, PROGRAM)
    assert swept.via_batches
    assert swept.states[place.slug].head_seq == 1
    assert swept.moved == 1


def test_too_many_batches_fall_back_to_the_listing(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More batches past the snapshot's than the cap: one listing, recording the newest."""
    log, store, _ = seeded
    _index(log)
    monkeypatch.setattr("infra.index._batches.MAX_CATCHUP_BATCHES", 2)
    for _ in range(3):
        _integrator(log).integrate(None, time=DURING, always_sign=True)
    store.reset()
    loaded = load_states(log, PROGRAM)
    assert not loaded.via_batches
    assert _commit_listings(store)
    assert (loaded.tlog_batch_seq, loaded.refresh_index) == (3, True)
    assert len(loaded.states) == 12


def test_a_snapshot_without_a_batch_seq_is_listed_once(seeded: Seeded) -> None:
    """A snapshot from before the batch path: one full listing, the batch path after it."""
    log, store, _ = seeded
    write_snapshot(log, PROGRAM, load_states(log, PROGRAM).states.values(), checkpoint_seq=-1)
    latest = latest_snapshot(log, PROGRAM)
    assert latest is not None
    assert latest[1].tlog_batch_seq is None
    store.reset()
    listed = _index(log)
    assert not listed.via_batches
    assert _commit_listings(store)
    assert listed.refresh_index
    store.reset()
    assert load_states(log, PROGRAM).via_batches
    assert not _commit_listings(store)


def test_a_planted_batch_invents_no_state(seeded: Seeded) -> None:
    """A batch naming foreign, malformed or missing keys costs reads, never a wrong state."""
    log, _, places = seeded
    before = _index(log)
    indexed = StreamId(program=PROGRAM, jurisdiction=places[0].slug)
    planted = Batch(
        seq=1,
        prev=0,
        old_size=12,
        commits=(
            commit_key("p/", StreamId(program="jag-fy2017", jurisdiction=places[1].slug), 4),
            commit_key("q/", StreamId(program=PROGRAM, jurisdiction=places[2].slug), 4),
            "p/streams/psp-2017/not a slug/00000000000000000001.json",
            "p/streams/psp-2017/nowhere-ca/junk.json",
            commit_key("p/", indexed, 3),  # a seq its stream never reached
            commit_key("p/", StreamId(program=PROGRAM, jurisdiction="nowhere-ca"), 0),
        ),
        time=DURING,
    )
    assert log.store.put_if_absent(batch_key("p/", 1), planted.to_bytes())
    after = load_states(log, PROGRAM)
    assert after.via_batches
    assert _heads(after) == _heads(before)
    assert "nowhere-ca" not in after.states
    assert not after.damaged
    assert after.read_fully == 2  # the missing seq and the missing stream, each read whole


def test_a_batch_that_does_not_parse_falls_back_to_the_listing(seeded: Seeded) -> None:
    """Junk at the next batch key: the full listing decides, and every stream is there."""
    log, _, _ = seeded
    before = _index(log)
    assert log.store.put_if_absent(batch_key("p/", 1), b"{not json")
    after = load_states(log, PROGRAM)
    assert not after.via_batches
    assert _heads(after) == _heads(before)


def test_a_snapshot_without_the_batch_seq_keeps_its_bytes() -> None:
    """The new field is left out of the stored bytes when unset: old addresses stay stable."""
    old = StateSnapshot.of(PROGRAM, [], checkpoint_seq=3)
    assert b"tlog_batch_seq" not in old.to_bytes()
    assert StateSnapshot.model_validate_json(old.to_bytes()) == old
    new = StateSnapshot.of(PROGRAM, [], checkpoint_seq=3, tlog_batch_seq=7)
    assert StateSnapshot.model_validate_json(new.to_bytes()).tlog_batch_seq == 7


def test_a_snapshot_is_stored_gzipped_and_reads_back(seeded: Seeded) -> None:
    """A snapshot is stored gzipped, many times smaller than its JSON, and reads back equal.

    At 20,000 streams the JSON was 88 MB, past a document read (64 MB): the next run
    silently read every stream (170 s instead of seconds). Gzipped it is ~18x smaller.
    """
    log, _, _ = seeded
    loaded = _index(log)
    found = latest_snapshot(log, PROGRAM)
    assert found is not None
    digest, snapshot = found
    stored = DocumentStore(log.store, log.prefix).get(digest)
    assert stored is not None
    assert stored.startswith(b"\x1f\x8b")
    assert len(stored) * 8 < len(snapshot.to_bytes())
    assert StateSnapshot.from_stored(stored) == snapshot
    assert {entry.jurisdiction for entry in snapshot.streams} == set(loaded.states)


def test_a_plain_json_snapshot_of_before_still_reads() -> None:
    """Snapshots stored before gzip are JSON: they read as they did."""
    old = StateSnapshot.of(PROGRAM, [], checkpoint_seq=3, tlog_batch_seq=7)
    assert StateSnapshot.from_stored(old.to_bytes()) == old


@pytest.mark.parametrize(
    "damage",
    [
        lambda stored: stored[: len(stored) // 2],  # truncated
        lambda stored: stored[:10] + b"\x00" * (len(stored) - 10),  # not deflate
    ],
)
def test_a_damaged_gzip_snapshot_is_no_snapshot(damage: Callable[[bytes], bytes]) -> None:
    """Damaged stored bytes raise the snapshot's own error, which readers turn into a rebuild."""
    stored = StateSnapshot.of(PROGRAM, [], checkpoint_seq=3).to_stored()
    with pytest.raises(SnapshotFormatError):
        StateSnapshot.from_stored(damage(stored))


def test_a_snapshot_inflating_past_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A gzip bomb at a snapshot's address is refused before it is inflated whole."""
    monkeypatch.setattr(state_snapshot, "MAX_SNAPSHOT_JSON_BYTES", 1_000)
    stored = gzip.compress(b" " * 100_000 + b"{}", mtime=0)
    with pytest.raises(SnapshotFormatError, match="past the cap"):
        StateSnapshot.from_stored(stored)


@pytest.mark.parametrize("per_part", [1, 5, 500])
def test_the_snapshot_streamed_in_parts_is_its_json(seeded: Seeded, per_part: int) -> None:
    """Compressed entry by entry (never the whole JSON at once), it inflates to `to_bytes`."""
    log, _, _ = seeded
    _index(log)
    found = latest_snapshot(log, PROGRAM)
    assert found is not None
    snapshot = found[1]
    assert len(snapshot.streams) == 12
    assert b"".join(snapshot.json_parts(per_part)) == snapshot.to_bytes()
    assert gzip.decompress(snapshot.to_stored()) == snapshot.to_bytes()
    empty = StateSnapshot.of(PROGRAM, [], checkpoint_seq=3, tlog_batch_seq=7)
    assert b"".join(empty.json_parts()) == empty.to_bytes()
