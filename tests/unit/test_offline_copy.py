"""Offline copies: a re-export matches the log or is refused; links and giants are not read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from infra.eventlog import directory_store
from infra.eventlog.directory_store import DirectoryObjectStore
from infra.eventlog.memory_store import MemoryObjectStore
from infra.eventlog.store import MAX_OBJECT_BYTES
from schemas.audit.verify import FindingKind, verify_log
from schemas.base.errors import InputError
from tests.unit.test_verify import KEYRING, PREFIX, A, build, key
from usecases.export import export_store
from usecases.verify import verify_store


class HidingStore(MemoryObjectStore):
    """A memory store where some keys are hidden, as S3 hides a key behind a delete marker."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: set[str] = set()

    def get(self, key: str, *, limit: int = MAX_OBJECT_BYTES) -> bytes | None:
        return None if key in self.hidden else super().get(key, limit=limit)

    def list_keys(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        return (k for k in super().list_keys(prefix, start_after) if k not in self.hidden)


@pytest.fixture
def store() -> HidingStore:
    """A signed two-stream log under PREFIX."""
    built = HidingStore()
    build(built)
    return built


def test_reexport_into_an_old_copy_is_refused_without_update(
    store: HidingStore, tmp_path: Path
) -> None:
    """A folder holding an earlier copy is refused: keeping old files would hide a deletion."""
    export_store(store, PREFIX, tmp_path / "copy")
    with pytest.raises(InputError, match="--update"):
        export_store(store, PREFIX, tmp_path / "copy")


def test_update_removes_what_left_the_log_so_the_copy_fails_like_the_log(
    store: HidingStore, tmp_path: Path
) -> None:
    """A commit hidden after the first export is removed from the copy and named; verify sees it."""
    copy = tmp_path / "copy"
    export_store(store, PREFIX, copy)
    store.hidden.add(key(A, 1))
    result = export_store(store, PREFIX, copy, update=True)
    relative = key(A, 1)[len(PREFIX) :]
    assert result.removed == (relative,)
    assert not (copy / relative).exists()
    online = verify_store(store, PREFIX, KEYRING)
    offline = verify_store(DirectoryObjectStore(copy), "", KEYRING)
    assert not online.ok
    assert not offline.ok
    assert {(f.seq, f.kind) for f in offline.findings} == {(f.seq, f.kind) for f in online.findings}


def test_links_in_a_copy_are_skipped_with_a_warning(store: HidingStore, tmp_path: Path) -> None:
    """A commit replaced by a link (here to a file outside the copy) is not followed: missing."""
    copy = tmp_path / "copy"
    export_store(store, PREFIX, copy)
    relative = key(A, 1)[len(PREFIX) :]
    outside = tmp_path / "outside.json"
    outside.write_bytes((copy / relative).read_bytes())
    (copy / relative).unlink()
    (copy / relative).symlink_to(outside)
    with capture_logs() as logs:
        report = verify_store(DirectoryObjectStore(copy), "", KEYRING)
    assert (A.jurisdiction, 1, FindingKind.MISSING) in {
        (f.jurisdiction, f.seq, f.kind) for f in report.findings
    }
    assert [entry["path"] for entry in logs if entry["event"] == "copy_link_skipped"] == [relative]


def test_a_linked_folder_in_a_copy_is_not_followed(store: HidingStore, tmp_path: Path) -> None:
    """A stream folder that is a link to another copy is skipped, not verified as if here."""
    copy, other = tmp_path / "copy", tmp_path / "other"
    export_store(store, PREFIX, copy)
    export_store(store, PREFIX, other)
    folder = copy / "streams" / A.program / A.jurisdiction
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.symlink_to(other / "streams" / A.program / A.jurisdiction)
    with capture_logs() as logs:
        report = verify_store(DirectoryObjectStore(copy), "", KEYRING)
    assert not report.ok
    assert any(entry["event"] == "copy_link_skipped" for entry in logs)


def test_an_oversized_file_is_never_read_whole(
    store: HidingStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file past the read cap is cut at cap + 1 bytes and reported as a finding."""
    copy = tmp_path / "copy"
    export_store(store, PREFIX, copy)
    relative = key(A, 1)[len(PREFIX) :]
    (copy / relative).write_bytes(b"{" + b" " * 10_000)
    monkeypatch.setattr(directory_store, "MAX_OBJECT_BYTES", 100)
    body = DirectoryObjectStore(copy).get(relative)
    assert body is not None
    assert len(body) == 101
    commits = {relative: body}
    report = verify_log("", commits, {}, KEYRING)
    assert any(f.kind == FindingKind.BAD_FORMAT for f in report.findings)


def test_an_oversized_commit_is_a_finding() -> None:
    """A commit past MAX_COMMIT_BYTES is refused by the parser before JSON decoding."""
    from schemas.log.commit import MAX_COMMIT_BYTES  # noqa: PLC0415 - the cap under test

    report = verify_log(PREFIX, {key(A, 0): b" " * (MAX_COMMIT_BYTES + 1)}, {}, KEYRING)
    assert any("limit of a commit" in f.detail for f in report.findings), report.findings
