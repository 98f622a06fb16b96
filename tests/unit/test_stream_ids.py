"""Stream ids that could escape their folder are refused before any storage call."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from infra.eventlog.log import EventLog
from infra.eventlog.store import MAX_OBJECT_BYTES, ObjectStore
from schemas.base.ids import InvalidIdError
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.cumulative_checkpoint import Keyring
from schemas.log.streams import StreamId, commit_key, parse_commit_key
from usecases.verify import verify_store

DAY = datetime(2017, 8, 3, tzinfo=UTC)
BAD = ["a/b", "..", "a..b/..", "Stockton-CA", "x" * 65, "", "-lead", "trail-", "a b", "é"]


class SpyStore(ObjectStore):
    """Records every call; any call at all fails the tests below."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def put_if_absent(self, key: str, body: bytes) -> bool:
        self.calls.append(f"put {key} ({len(body)} bytes)")
        return True

    def get(self, key: str, *, limit: int = MAX_OBJECT_BYTES) -> bytes | None:
        self.calls.append(f"get {key} (at most {limit + 1} bytes)")
        return None

    def list_keys(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        self.calls.append(f"list {prefix} after {start_after}")
        return iter(())

    def list_folders(self, prefix: str) -> list[str]:
        self.calls.append(f"folders {prefix}")
        return []


@pytest.mark.parametrize("bad", BAD)
def test_bad_jurisdiction_is_refused(bad: str) -> None:
    """A jurisdiction with '/', '..', upper case or over 64 characters is refused."""
    with pytest.raises(InvalidIdError):
        StreamId(program="psp-2017", jurisdiction=bad)


@pytest.mark.parametrize("bad", BAD)
def test_bad_program_is_refused(bad: str) -> None:
    """The same holds for the program id."""
    with pytest.raises(InvalidIdError):
        StreamId(program=bad, jurisdiction="stockton-ca")


def test_sixty_four_characters_are_allowed() -> None:
    """64 characters is the longest slug accepted."""
    assert StreamId(program="psp-2017", jurisdiction="a" * 64).jurisdiction == "a" * 64


@pytest.mark.parametrize("bad", ["psp-2017/../../etc", "psp-2017/Stockton", "psp-2017/a/b"])
def test_append_refuses_a_forged_stream_before_any_call(bad: str) -> None:
    """A commit naming a bad stream is refused by append before the store is touched."""
    good = seal_commit(
        stream=StreamId(program="psp-2017", jurisdiction="stockton-ca"), seq=0, prev=GENESIS,
        idempotency_key="k",
        payloads=[LetterSent(letter_sha256="a" * 64, letter_date=DAY.date(), response_due=None,
                             delivery="none")],
        time=DAY, actor="test",
    )  # fmt: skip
    forged = good.model_copy(update={"stream": bad})
    store = SpyStore()
    with pytest.raises(InvalidIdError):
        EventLog(store, "").append(forged)
    assert store.calls == []


def test_verify_refuses_a_bad_program_before_any_call() -> None:
    """`audit verify --program ../x` is refused before listing anything."""
    store = SpyStore()
    with pytest.raises(InvalidIdError):
        verify_store(store, "", Keyring(keys=()), program="../x")
    assert store.calls == []


def test_keys_with_bad_ids_do_not_parse() -> None:
    """A stored key whose folders are no slugs is not taken for a commit key."""
    assert parse_commit_key("", "streams/psp-2017/Stockton/00000000000000000000.json") is None
    assert parse_commit_key("", "streams/../x/00000000000000000000.json") is None
    stream = StreamId(program="psp-2017", jurisdiction="stockton-ca")
    assert parse_commit_key("", commit_key("", stream, 3)) == (stream, 3)
