"""Chunks reviewed side by side share one S3 connection pool, within s3_max_workers.

No chunk opens more threads than its share: 8 chunks x 32 readers overflowed the
64-connection pool, and urllib3 warned "Connection pool is full" on every extra connection.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import infra.eventlog.log
import infra.eventlog.store
import tasks.review
from infra.eventlog.memory_store import MemoryObjectStore
from infra.platform.settings import Settings
from infra.runtime import Runtime
from tasks.review import Pass, advance_chunk
from tests.support.builders import csv_bytes, synthetic_jurisdictions
from usecases.imports import import_csv

ROOT = Path(__file__).resolve().parents[2]
MOMENT = datetime(2017, 8, 3, tzinfo=UTC)


def test_a_chunk_reads_and_writes_within_its_share_of_the_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 8 chunks at once and s3_max_workers 32, every pool a chunk opens has <= 4 threads."""
    runtime = Runtime(Settings(s3_prefix="p/", programs_dir=ROOT / "programs", s3_max_workers=32))
    store = MemoryObjectStore()
    store.max_workers = 32  # as S3ObjectStore's default
    runtime.__dict__["store"] = store  # the cached adapter, replaced before use
    rows = synthetic_jurisdictions(40)
    path = tmp_path / "jurisdictions.csv"
    path.write_bytes(csv_bytes(rows))
    import_csv(runtime, path)
    sizes: list[int] = []

    class Recording(ThreadPoolExecutor):
        def __init__(self, max_workers: int | None = None, **options: Any) -> None:  # noqa: ANN401 - the executor's own options
            sizes.append(max_workers or 0)
            super().__init__(max_workers=max_workers, **options)

    for module in (infra.eventlog.log, infra.eventlog.store, tasks.review):
        monkeypatch.setattr(module, "ThreadPoolExecutor", Recording)
    monkeypatch.setattr(tasks.review, "get_runtime", lambda: runtime)
    outcomes = advance_chunk(
        "psp-2017", rows, MOMENT, MOMENT, steps=Pass.REVIEW, flow_run_id=None, share=8
    )
    assert len(outcomes) == len(rows)
    assert sizes, "the chunk read and wrote through thread pools"
    assert max(sizes) <= 32 // 8, sizes
