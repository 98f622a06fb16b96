"""How `S3ObjectStore.list_range` pages a bounded key range (the server walks what it asks)."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any, cast

from infra.eventlog.listing import key_ranges
from infra.eventlog.s3_store import FIRST_RANGE_PAGE, FULL_PAGE, S3ObjectStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

FOLDER = "p/streams/psp-2017/"


class _ListingServer:
    """`list_objects_v2` over sorted keys, as S3 pages them; counts the keys it walks."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = sorted(keys)
        self.walked = 0
        self.pages: list[int] = []

    def list_objects_v2(self, **arguments: str | int) -> dict[str, Any]:
        after = str(arguments.get("ContinuationToken") or arguments.get("StartAfter") or "")
        size = int(arguments.get("MaxKeys", FULL_PAGE))
        matching = [k for k in self.keys if k.startswith(str(arguments["Prefix"]))]
        start = bisect.bisect_right(matching, after)
        page = matching[start : start + size]
        self.walked += len(page)
        self.pages.append(size)
        truncated = start + size < len(matching)
        answer: dict[str, Any] = {"Contents": [{"Key": k} for k in page]}
        answer["IsTruncated"] = truncated
        if truncated:
            answer["NextContinuationToken"] = page[-1]
        return answer


def _store(keys: list[str]) -> tuple[S3ObjectStore, _ListingServer]:
    server = _ListingServer(keys)
    return S3ObjectStore(cast("S3Client", server), "bucket"), server


def _keys(slugs: list[str]) -> list[str]:
    return [f"{FOLDER}{slug}/{0:020d}.json" for slug in slugs]


def test_a_small_range_is_not_listed_a_full_page_past_its_bound() -> None:
    """A range holding 3 of 5,000 keys asks for one first page, not 1,000 keys past it."""
    store, server = _store(
        _keys([f"a{i:05d}" for i in range(3)] + [f"b{i:05d}" for i in range(4997)])
    )
    found = list(store.list_range(FOLDER, FOLDER + "a", FOLDER + "b"))
    assert len(found) == 3
    assert server.pages == [FIRST_RANGE_PAGE]
    assert server.walked <= FIRST_RANGE_PAGE


def test_a_large_range_is_listed_in_doubling_pages_up_to_a_full_one() -> None:
    """Pages double up to S3's full page; less is walked past the bound than the range holds."""
    store, server = _store(
        _keys([f"a{i:05d}" for i in range(1500)] + [f"b{i:05d}" for i in range(3000)])
    )
    found = list(store.list_range(FOLDER, FOLDER + "a", FOLDER + "b"))
    assert len(found) == 1500
    assert server.pages == [100, 200, 400, 800, 1000]
    assert server.walked - len(found) < len(found)


def test_an_open_range_asks_for_full_pages() -> None:
    """A range with no upper bound lists to the end anyway: full pages from the first."""
    store, server = _store(_keys([f"z{i:05d}" for i in range(1200)]))
    assert len(list(store.list_range(FOLDER, FOLDER + "y"))) == 1200
    assert server.pages == [FULL_PAGE, FULL_PAGE]


def test_the_ranges_still_partition_the_folder_exactly() -> None:
    """With the smaller pages, every key of the folder is listed once, in order."""
    slugs = [f"{c}{i:04d}" for c in "0a_mz" for i in range(250)] + ["_runs"]
    keys = _keys(slugs)
    store, _ = _store(keys)
    listed = [key for part in key_ranges(FOLDER) for key in store.list_range(*part)]
    assert listed == sorted(keys)
