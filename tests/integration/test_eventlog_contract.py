"""The event-log contract, held by every backend: the memory store and real SeaweedFS S3.

The listing contract (ranges, partitioned listings, the newest key) holds on the read-only
folder store too.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from infra.eventlog.directory_store import DirectoryObjectStore
from infra.eventlog.listing import key_ranges, list_partitioned, newest_key
from infra.eventlog.log import ConflictError, EventLog, WriteOutcome
from infra.eventlog.memory_store import MemoryObjectStore
from infra.eventlog.s3_store import S3ObjectStore
from infra.eventlog.store import ObjectStore
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, Commit, seal_commit
from schemas.log.streams import StreamId
from tests.conftest import TEST_BUCKET

if TYPE_CHECKING:
    from collections.abc import Callable

    from localdev.seaweed import SeaweedServer

STREAM = StreamId(program="psp-2017", jurisdiction="stockton-ca")
T0 = datetime(2017, 8, 3, tzinfo=UTC)
WRITERS = 8
PER_WRITER = 3
PER_PROCESS = 2
LISTED = (
    "-dash.json",  # before every range bound
    "0",  # exactly a range bound: in one range, not lost between two
    "0a/00000000000000000000.json",
    "9z/00000000000000000001.json",
    "_",
    "_runs/00000000000000000000.json",
    "zz/00000000000000000000.json",
    "zz/00000000000000000001.json",
)
"""Keys under one folder, chosen to sit on and around the partition bounds."""


def _commit(seq: int, prev: str, key: str) -> Commit:
    payload = LetterSent(letter_sha256="a" * 64, letter_date=T0.date(), response_due=None,
                         delivery="none")  # fmt: skip
    return seal_commit(stream=STREAM, seq=seq, prev=prev, idempotency_key=key,
                       payloads=[payload], time=T0, actor="contract")  # fmt: skip


def append_until_accepted(log: EventLog, key: str) -> None:
    """Read the head, append at head+1; on a conflict re-read and try again (a writer's loop)."""
    while True:
        commits = log.read_stream(STREAM)
        if any(commit.idempotency_key == key for commit in commits):
            return
        prev = commits[-1].hash if commits else GENESIS
        try:
            log.append(_commit(len(commits), prev, key))
        except ConflictError:
            continue
        return


def process_writer(endpoint: str, access: str, secret: str, prefix: str, writer: int) -> list[str]:
    """One appender process (spawned): its own client, PER_WRITER commits; the keys it wrote."""
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access,
                          aws_secret_access_key=secret, region_name="us-east-1")  # fmt: skip
    log = EventLog(S3ObjectStore(client, TEST_BUCKET), prefix)
    keys = [f"process-{writer}-{n}" for n in range(PER_PROCESS)]
    for key in keys:
        append_until_accepted(log, key)
    return keys


def assert_one_gapless_chain(log: EventLog, expected_keys: set[str]) -> None:
    """The stream is 0..n-1 without gaps or forks, and holds each accepted key exactly once."""
    commits = log.read_stream(STREAM)  # raises CorruptStreamError on a gap, fork or bad link
    assert [commit.seq for commit in commits] == list(range(len(commits)))
    keys = [commit.idempotency_key for commit in commits]
    assert sorted(keys) == sorted(expected_keys)
    stored = list(log.store.list_keys(STREAM.key_prefix(log.prefix)))
    assert len(stored) == len(expected_keys)


class EventLogContract:
    """What every backend of the event log must do; subclasses provide the `log` fixture."""

    @pytest.fixture
    def log(self) -> EventLog:
        """The log under test."""
        raise NotImplementedError

    def test_duplicate_seq_is_a_conflict(self, log: EventLog) -> None:
        """A different commit at an existing seq raises ConflictError and changes nothing."""
        first = _commit(0, GENESIS, "first")
        assert log.append(first) is True
        with pytest.raises(ConflictError):
            log.append(_commit(0, GENESIS, "rival"))
        assert log.read_stream(STREAM) == [first]

    def test_idempotent_retry_writes_nothing_new(self, log: EventLog) -> None:
        """Appending the same commit again returns False and writes no object."""
        commit = _commit(0, GENESIS, "once")
        assert log.append(commit) is True
        before = list(log.store.list_keys(log.prefix))
        assert log.append(commit) is False
        assert list(log.store.list_keys(log.prefix)) == before

    def test_write_tells_a_retry_from_another_writers_commit(self, log: EventLog) -> None:
        """Same bytes: PRESENT; same idempotency key, other bytes: EQUIVALENT; else CONFLICT.

        Only PRESENT means the stream's head is the commit the writer holds.
        """
        ours = _commit(0, GENESIS, "decision")
        assert log.write(log.encode(ours)) is WriteOutcome.WRITTEN
        assert log.write(log.encode(ours)) is WriteOutcome.PRESENT
        resealed = ours.model_copy(update={"hash": "f" * 64})  # same key, other bytes
        assert log.write(log.encode(resealed)) is WriteOutcome.EQUIVALENT
        assert log.write(log.encode(_commit(0, GENESIS, "rival"))) is WriteOutcome.CONFLICT
        assert log.append(resealed) is False
        assert log.read_stream(STREAM) == [ours]

    def test_read_after_write(self, log: EventLog) -> None:
        """Each appended commit is read back at once, byte for byte, in order."""
        prev = GENESIS
        for seq in range(3):
            commit = _commit(seq, prev, f"k{seq}")
            log.append(commit)
            assert log.read_stream(STREAM)[-1].to_bytes() == commit.to_bytes()
            prev = commit.hash
        assert [c.seq for c in log.read_stream(STREAM)] == [0, 1, 2]

    def test_concurrent_threads_give_one_gapless_chain(self, log: EventLog) -> None:
        """Eight threads appending to one stream give one gapless, unforked chain."""
        keys = {f"thread-{w}-{n}" for w in range(WRITERS) for n in range(PER_WRITER)}
        barrier = threading.Barrier(WRITERS)

        def writer(w: int) -> None:
            barrier.wait()
            for n in range(PER_WRITER):
                append_until_accepted(log, f"thread-{w}-{n}")

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert_one_gapless_chain(log, keys)


class TestMemoryEventLog(EventLogContract):
    """The contract on the in-memory store."""

    @pytest.fixture
    def log(self) -> EventLog:
        """A log over a fresh memory store."""
        return EventLog(MemoryObjectStore(), "contract/")


class TestS3EventLog(EventLogContract):
    """The contract on real SeaweedFS S3, with If-None-Match conditional PUTs."""

    @pytest.fixture
    def log(self, s3_event_log: EventLog) -> EventLog:
        """A log on the test server under a fresh prefix."""
        return s3_event_log

    def test_concurrent_processes_give_one_gapless_chain(
        self, log: EventLog, seaweed: SeaweedServer, s3_prefix: str
    ) -> None:
        """Eight spawned processes appending to one stream give one gapless, unforked chain."""
        who = seaweed.identities["operator"]
        arguments = [(seaweed.endpoint, who.access_key, who.secret_key, s3_prefix, w)
                     for w in range(WRITERS)]  # fmt: skip
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(WRITERS, mp_context=context) as pool:
            futures = [pool.submit(process_writer, *argument) for argument in arguments]
            written = [future.result(timeout=120) for future in futures]
        assert_one_gapless_chain(log, {key for keys in written for key in keys})


class ListingContract:
    """What every backend's listing must do; subclasses provide `stored` (keys -> a store)."""

    @pytest.fixture
    def stored(self) -> Callable[[list[str]], ObjectStore]:
        """Write each key (body: the key) and return the store holding them."""
        raise NotImplementedError

    @pytest.fixture
    def folder(self, stored: Callable[[list[str]], ObjectStore]) -> tuple[ObjectStore, str]:
        """A store holding LISTED under `c/streams/p/`, a neighbour folder, and that folder."""
        folder = "c/streams/p/"
        store = stored([*(folder + key for key in LISTED), "c/streams/q/0a/x.json"])
        return store, folder

    def test_key_ranges_partition_a_folder_exactly(self, folder: tuple[ObjectStore, str]) -> None:
        """Listing each range of a folder, in order, gives its whole listing: none twice or lost."""
        store, base = folder
        ranged = [key for r in key_ranges(base) for key in store.list_range(*r)]
        assert ranged == list(store.list_keys(base)) == [base + key for key in LISTED]

    def test_list_range_keeps_keys_after_start_up_to_stop(
        self, folder: tuple[ObjectStore, str]
    ) -> None:
        """The range is (start_after, stop_after]; an open bound reaches the folder's end."""
        store, base = folder
        assert list(store.list_range(base, base + "0", base + "_")) == [
            base + key for key in LISTED[2:5]
        ]
        assert list(store.list_range(base, base + "_runs/~")) == [base + key for key in LISTED[6:]]
        assert list(store.list_range(base, stop_after=base + "0")) == [
            base + key for key in LISTED[:2]
        ]

    def test_partitioned_listing_lists_every_key_once(
        self, folder: tuple[ObjectStore, str]
    ) -> None:
        """Concurrent ranges or one call, the listing is the folder's keys in order."""
        store, base = folder
        assert list_partitioned(store, [base], workers=4) == [base + key for key in LISTED]

    def test_newest_key_is_the_last_accepted(self, folder: tuple[ObjectStore, str]) -> None:
        """The newest key under a prefix is the last listed that the caller accepts."""
        store, base = folder
        assert newest_key(store, base) == base + LISTED[-1]
        assert newest_key(store, base, accept=lambda k: k.endswith("0.json")) == base + LISTED[6]
        assert newest_key(store, base + "zz/", start_after=base + LISTED[-1]) is None
        assert newest_key(store, "c/streams/none/") is None


class TestMemoryListing(ListingContract):
    """The listing contract on the memory store."""

    @pytest.fixture
    def stored(self) -> Callable[[list[str]], ObjectStore]:
        """A fresh memory store."""

        def write(keys: list[str]) -> ObjectStore:
            store = MemoryObjectStore()
            for key in keys:
                store.put_if_absent(key, key.encode())
            return store

        return write


class TestDirectoryListing(ListingContract):
    """The listing contract on a downloaded copy (files under a folder)."""

    @pytest.fixture
    def stored(self, tmp_path: Path) -> Callable[[list[str]], ObjectStore]:
        """Files under a fresh folder."""

        def write(keys: list[str]) -> ObjectStore:
            for key in keys:
                path = tmp_path / key
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(key.encode())
            return DirectoryObjectStore(tmp_path)

        return write


class TestS3Listing(ListingContract):
    """The listing contract on real SeaweedFS S3: ranges stop paging at their bound."""

    @pytest.fixture
    def stored(self, s3_event_log: EventLog) -> Callable[[list[str]], ObjectStore]:
        """Objects under this test's prefix (the prefix is stripped again by `folder`)."""
        store, prefix = s3_event_log.store, s3_event_log.prefix

        def write(keys: list[str]) -> ObjectStore:
            for key in keys:
                assert store.put_if_absent(prefix + key, key.encode())
            return store

        return write

    @pytest.fixture
    def folder(
        self, stored: Callable[[list[str]], ObjectStore], s3_prefix: str
    ) -> tuple[ObjectStore, str]:
        """LISTED under this test's prefix."""
        folder = f"{s3_prefix}c/streams/p/"
        store = stored([*(f"c/streams/p/{key}" for key in LISTED), "c/streams/q/0a/x.json"])
        return store, folder
