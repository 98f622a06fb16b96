"""Benchmark: a warm "nothing changed" state-index read after the cut-over, batches vs listing.

On local SeaweedFS it seeds N decided, signed streams, integrates them into the
transparency log (the cut-over's sweep), then times `load_states` with nothing changed,
interleaved three times each: (a) the batch fast path (the snapshot names the newest
batch), (b) the full listing (the same states in a snapshot naming no batch, as before
this path existed). S3 requests are counted on the boto3 client, one per API call (a
listing page is one call). Prints both side by side.
Usage: python -m benchmarks.state_index [N]   (from the repo root; default 5000, ~3 min)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.integrator import Integrator
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.s3_store import S3ObjectStore
from infra.files.programs import load_program
from infra.index.state_index import LoadedStates, load_states, write_snapshot
from infra.platform.logging import configure_logging
from infra.s3.bucket import ensure_bucket
from localdev.seaweed import SeaweedServer
from schemas.log.commit_signature import signer_keyring
from schemas.log.cumulative_checkpoint import Signer
from schemas.tlog.layout import log_origin
from tests.support.builders import seed_decided_streams, synthetic_jurisdictions

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "grantreview-bench"
PREFIX = "bench/"
PROGRAM = "psp-2017"
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
KEYRING = signer_keyring(SIGNER)
T0 = datetime(2017, 9, 1, tzinfo=UTC)


class _Requests:
    """S3 API calls made through one boto3 client, by operation name."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, model: Any, **_: object) -> None:  # noqa: ANN401 - botocore's model
        with self._lock:
            self.counts[str(model.name)] += 1


def _timed_read(log: EventLog, requests: _Requests) -> tuple[float, int, LoadedStates]:
    requests.counts.clear()
    started = time.perf_counter()
    loaded = load_states(log, PROGRAM, workers=16)
    return time.perf_counter() - started, sum(requests.counts.values()), loaded


def main() -> None:
    """Seed, integrate, then measure both paths interleaved and print them."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    base = Path(tempfile.mkdtemp(prefix="grantreview-bench-"))
    with SeaweedServer(base / "seaweed") as seaweed:
        configure_logging("ERROR")
        client = seaweed.client("admin", max_pool=32)
        ensure_bucket(client, BUCKET, "", lock_mode="GOVERNANCE", lock_days=0)
        requests = _Requests()
        client.meta.events.register("before-call.s3", requests)
        log = EventLog(S3ObjectStore(client, BUCKET), PREFIX, CommitKeys(SIGNER, KEYRING))
        bundle = load_program(ROOT / "programs", PROGRAM)
        started = time.perf_counter()
        seed_decided_streams(log, bundle, synthetic_jurisdictions(count), decided_at=T0)
        seeded = time.perf_counter() - started
        integrator = Integrator(
            log, origin=log_origin(BUCKET, PREFIX), signer=SIGNER, keyring=KEYRING
        )
        integrator.integrate(None, time=T0)
        integrated = time.perf_counter() - started - seeded
        print(f"set-up: {count:,} signed streams seeded in {seeded:.0f} s, "
              f"integrated in {integrated:.0f} s", flush=True)  # fmt: skip
        first = load_states(log, PROGRAM, workers=16)
        states = list(first.states.values())
        snapshots = {
            "batches": {"checkpoint_seq": -1, "tlog_batch_seq": first.tlog_batch_seq},
            "listing": {"checkpoint_seq": -1, "tlog_batch_seq": None},
        }
        figures: dict[str, list[tuple[float, int]]] = {name: [] for name in snapshots}
        for _ in range(3):
            for name, fields in snapshots.items():
                write_snapshot(log, PROGRAM, states, **fields)
                seconds, calls, loaded = _timed_read(log, requests)
                if loaded.via_batches != (name == "batches") or len(loaded.states) != count:
                    raise RuntimeError(f"{name}: the read took the wrong path or lost streams")
                figures[name].append((seconds, calls))
        print(f'warm "nothing changed" load_states, {count:,} streams, medians of 3 (interleaved):')
        for name, runs in figures.items():
            median_s = statistics.median(s for s, _ in runs)
            median_calls = statistics.median(c for _, c in runs)
            print(f"  {name:8}: {median_s * 1000:8.1f} ms, {median_calls:5.0f} S3 requests "
                  f"(runs: {', '.join(f'{s * 1000:.0f} ms' for s, _ in runs)})")  # fmt: skip
        fast = statistics.median(s for s, _ in figures["batches"])
        full = statistics.median(s for s, _ in figures["listing"])
        print(f"  listing / batches = {full / fast:.1f}x time")


if __name__ == "__main__":
    main()
