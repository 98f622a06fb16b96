"""Benchmark section: a real `grantreview respond` on a log of 4 and of 20,000 streams.

Issue #14's done-when, end to end: two logs in one bucket on local SeaweedFS (started
here, with a local Prefect server), each with the same 4 imported, reviewed
jurisdictions; the large one also holds 20,000 decided streams seeded through the
runtime's signed EventLog and integrated by one `grantreview checkpoint`. Then `respond`
runs as a process on each log in turn (small, large, small, ...), so machine load falls
on both alike. Prints the median respond time at each size, their ratio (target <= 1.2x)
and the newest transparency-log checkpoint object's size at each size (target < 1 KB).
Run by `python -m benchmarks.checkpoints --respond`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.review import BINARY, _response_file, _run
from infra.eventlog.s3_store import S3ObjectStore
from infra.eventlog.tlog_store import TlogStore
from infra.platform.settings import get_settings
from infra.runtime import get_runtime
from infra.s3.bucket import ensure_bucket
from localdev.prefect_server import PrefectServer
from localdev.seaweed import SeaweedServer
from tests.support.builders import csv_bytes, seed_decided_streams, synthetic_jurisdictions

if TYPE_CHECKING:
    from schemas.program.jurisdiction import Jurisdiction

__all__ = ["RATIO_TARGET", "measure_respond"]

BUCKET = "grantreview-bench-respond"
PROGRAM = "psp-2017"
REVIEWED = 4
RUNS = 3
RATIO_TARGET = 1.2
NOTE_TARGET_BYTES = 1024


def _seed(env: dict[str, str], places: list[Jurisdiction]) -> float:
    """Seed decided streams through the runtime's signed log, wired as the CLI wires it."""
    saved = dict(os.environ)
    os.environ.update(env)
    get_settings.cache_clear()
    get_runtime.cache_clear()
    try:
        runtime = get_runtime()
        started = time.perf_counter()
        seed_decided_streams(runtime.log, runtime.program(PROGRAM), places)
        return time.perf_counter() - started
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        get_runtime.cache_clear()


def _newest_note_bytes(store: S3ObjectStore, prefix: str) -> int:
    """The size of the newest signed C2SP checkpoint note under `prefix`."""
    tlog = TlogStore(store, prefix)
    seq = tlog.newest_seq()
    note = tlog.note(seq) if seq is not None else None
    if note is None:
        raise SystemExit(f"no transparency-log checkpoint under {prefix!r}")
    return len(note)


def measure_respond(streams: int) -> None:
    """Start the services, build both logs, time `respond` on each and print the figures."""
    if not BINARY.is_file():
        raise SystemExit(f"no grantreview command at {BINARY}")
    base = Path(tempfile.mkdtemp(prefix="grantreview-bench-respond-"))
    places = synthetic_jurisdictions(REVIEWED + streams)
    reviewed, seeded = places[:REVIEWED], places[REVIEWED:]
    with SeaweedServer(base / "seaweed") as seaweed, PrefectServer(base / "prefect") as prefect:
        ensure_bucket(seaweed.client("admin"), BUCKET, "", lock_mode="GOVERNANCE", lock_days=0)
        env = {
            **os.environ,
            **seaweed.env("operator"),
            **prefect.env(),
            "GRANTREVIEW_S3_BUCKET": BUCKET,
            "GRANTREVIEW_OBJECT_LOCK_DAYS": "0",
            "GRANTREVIEW_LOG_LEVEL": "WARNING",
            "GRANTREVIEW_SIGNING_KEY_FILE": str(base / "keys" / "signing-key.pem"),
            "GRANTREVIEW_VERIFY_KEY_FILE": str(base / "keys" / "verify-keys.json"),
        }
        _run(env, "keys", "generate", str(base / "keys"))
        csv_file = base / "jurisdictions.csv"
        csv_file.write_bytes(csv_bytes(reviewed))
        logs = {REVIEWED: {**env, "GRANTREVIEW_S3_PREFIX": "small/"}}
        logs[streams] = {**env, "GRANTREVIEW_S3_PREFIX": "large/"}
        for setting in logs.values():
            _run(setting, "jurisdictions", "import", str(csv_file))
            _run(setting, "review", "--program", PROGRAM, "--all", "--as-of", "2017-08-03")
        seed_s = _seed(logs[streams], seeded)
        print(f"  seeded {len(seeded):,} decided streams through the signed log: {seed_s:.0f} s")
        for size, setting in logs.items():
            seconds = _run(setting, "checkpoint")
            print(f"  grantreview checkpoint, log of {size:,} streams: {seconds:.1f} s")
        _run(logs[REVIEWED], "status", "--program", PROGRAM, "--json", reviewed[0].slug)
        times: dict[int, list[float]] = {size: [] for size in logs}
        for attempt in range(RUNS):
            slug = reviewed[attempt].slug
            response = str(_response_file(base, slug))
            for size, setting in logs.items():
                times[size].append(
                    _run(setting, "respond", slug, "--program", PROGRAM, "--file", response)
                )
        store = S3ObjectStore(seaweed.client("operator"), BUCKET)
        notes = {
            size: _newest_note_bytes(store, setting["GRANTREVIEW_S3_PREFIX"])
            for size, setting in logs.items()
        }
    shutil.rmtree(base, ignore_errors=True)
    medians = {size: statistics.median(runs) for size, runs in times.items()}
    print(f"grantreview respond as a process, decision durable in S3 (median of {RUNS}):")
    for size in logs:
        print(
            f"  log of {size:>6,} streams: {medians[size]:.2f} s "
            f"(runs {', '.join(f'{s:.2f}' for s in times[size])}); "
            f"newest tlog checkpoint object {notes[size]:,} bytes "
            f"(target < {NOTE_TARGET_BYTES:,})"
        )
    ratio = medians[streams] / medians[REVIEWED]
    print(f"  respond {streams:,} : {REVIEWED} = {ratio:.2f}x (target <= {RATIO_TARGET}x)")
