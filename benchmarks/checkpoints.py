"""Benchmark: what one `respond` pays for its checkpoint at 4 and at 20,000 streams.

For each log size it seeds one decided, signed commit per stream, brings both designs up
to date (today's cumulative checkpoint and the transparency log), then measures, three
times, the log work of one respond: append its decision commit, then (a) merge its head
into a new cumulative checkpoint, (b) integrate it into the tree and sign a C2SP
checkpoint. Requests are counted as S3 would bill them (a listing is one request per
1,000 keys); wall time is in-process on the memory store (no network), so it isolates
the work that depends on the log's size. Prints both designs side by side, the ratio
20,000 : 4 and each checkpoint object's size.
With `--respond` it then also times a real `grantreview respond` as a process on a log
of 4 and of STREAMS streams on local SeaweedFS and Prefect (`benchmarks/respond_sizes.py`).
Usage: python -m benchmarks.checkpoints [--respond] [STREAMS]   (default 20000; a few
minutes; with --respond about ten more)
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.checkpoints import latest_checkpoint, write_checkpoint
from infra.eventlog.integrator import Integrator
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.eventlog.store import MAX_OBJECT_BYTES
from infra.files.programs import load_program
from schemas.events.catalog import LetterSent
from schemas.log.commit import seal_commit
from schemas.log.commit_signature import signer_keyring
from schemas.log.cumulative_checkpoint import Signer
from schemas.log.streams import StreamId
from schemas.tlog.layout import log_origin
from tests.support.builders import seed_decided_streams, synthetic_jurisdictions

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = "psp-2017"
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
KEYRING = signer_keyring(SIGNER)
T0 = datetime(2017, 9, 1, tzinfo=UTC)
_PAGE = 1000


class CountingStore(MemoryObjectStore):
    """The memory store, counting requests as S3 would and bytes written."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: Counter[str] = Counter()
        self.written = 0

    def put_if_absent(self, key: str, body: bytes) -> bool:
        """Count a PUT and its bytes."""
        self.requests["PUT"] += 1
        self.written += len(body)
        return super().put_if_absent(key, body)

    def get(self, key: str, *, limit: int = MAX_OBJECT_BYTES) -> bytes | None:
        """Count a GET."""
        self.requests["GET"] += 1
        return super().get(key, limit=limit)

    def list_keys(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        """Count one request per 1,000 keys listed."""
        count = 0
        for key in super().list_keys(prefix, start_after):
            count += 1
            yield key
        self.requests["LIST"] += max(1, math.ceil(count / _PAGE))

    def list_folders(self, prefix: str) -> list[str]:
        """Count one request per 1,000 folders listed."""
        folders = super().list_folders(prefix)
        self.requests["LIST"] += max(1, math.ceil(len(folders) / _PAGE))
        return folders


def _respond_commit(log: EventLog, stream: StreamId) -> int:
    """Append one more commit to a seeded stream (seq 1), as a respond's decision is."""
    head = log.read_stream(stream)[-1]
    commit = seal_commit(
        stream=stream, seq=head.seq + 1, prev=head.hash, idempotency_key="bench",
        payloads=[LetterSent(letter_sha256="a" * 64, letter_date=T0.date(),
                             response_due=None, delivery="none")],
        time=T0, actor="bench", signer=SIGNER,
    )  # fmt: skip
    log.append(commit)
    return head.seq + 1


def _measure(streams: int) -> dict[str, list[float]]:
    store = CountingStore()
    log = EventLog(store, "p/", CommitKeys(SIGNER, KEYRING))
    bundle = load_program(ROOT / "programs", PROGRAM)
    places = synthetic_jurisdictions(streams + 3)
    seed_decided_streams(log, bundle, places, decided_at=T0)
    integrator = Integrator(log, origin=log_origin("bench", "p/"), signer=SIGNER, keyring=KEYRING)
    integrator.integrate(None, time=T0)
    write_checkpoint(log, SIGNER, time=T0)
    out: dict[str, list[float]] = {}
    for attempt in range(3):
        stream = StreamId(program=PROGRAM, jurisdiction=places[attempt].slug)
        seq = _respond_commit(log, stream)
        digest = log.read_stream(stream)[-1].hash
        heads = {stream: (seq, digest)}
        steps = (
            ("cumulative", partial(write_checkpoint, log, SIGNER, time=T0, heads=heads)),
            ("tlog", partial(integrator.integrate, {stream: seq}, time=T0)),
        )
        for name, step in steps:
            store.requests.clear()
            store.written = 0
            started = time.perf_counter()
            step()
            seconds = time.perf_counter() - started
            out.setdefault(f"{name} s", []).append(seconds)
            out.setdefault(f"{name} requests", []).append(sum(store.requests.values()))
            out.setdefault(f"{name} bytes", []).append(store.written)
    cumulative = latest_checkpoint(store, "p/")
    out["cumulative object"] = [len(cumulative.to_bytes()) if cumulative else 0]
    out["tlog object"] = [len(integrator.newest().note)]
    return out


def main() -> None:
    """Measure both sizes in one run and print the comparison."""
    args = [arg for arg in sys.argv[1:] if arg != "--respond"]
    big = int(args[0]) if args else 20_000
    results = {size: _measure(size) for size in (4, big)}
    print("one respond's checkpoint work, median of 3 (memory store; requests as S3 bills):")
    for design in ("cumulative", "tlog"):
        for size, figures in results.items():
            print(
                f"  {design:10} {size:>6} streams: "
                f"{statistics.median(figures[f'{design} s']) * 1000:8.1f} ms, "
                f"{statistics.median(figures[f'{design} requests']):5.0f} requests, "
                f"{statistics.median(figures[f'{design} bytes']):9.0f} bytes written, "
                f"checkpoint object {figures[f'{design} object'][0]:,} bytes"
            )
        small, large = results[4], results[big]
        ratio = statistics.median(large[f"{design} s"]) / statistics.median(small[f"{design} s"])
        req = statistics.median(large[f"{design} requests"]) / statistics.median(
            small[f"{design} requests"]
        )
        print(f"  {design:10} {big} : 4 = {ratio:.2f}x time, {req:.2f}x requests")
    if "--respond" in sys.argv[1:]:
        from benchmarks.respond_sizes import measure_respond  # noqa: PLC0415 - starts services

        measure_respond(big)


if __name__ == "__main__":
    main()
