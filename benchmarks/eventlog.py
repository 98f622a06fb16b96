"""Benchmark: event-log appends/s and verified events/s beside raw boto3 PUT/GET on one server.

Starts its own SeaweedFS; measures, in the same run, raw boto3 PUTs and GETs of objects of
the same size as a commit, then `EventLog.append` (seal + conditional PUT) and `audit
verify` (list + concurrent GETs + hash, chain and signature checks), and prints the ratios.
Usage: python -m benchmarks.eventlog [STREAMS] [COMMITS_PER_STREAM]   (default 50 x 8)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.log import EventLog
from infra.eventlog.s3_store import S3ObjectStore
from infra.s3.bucket import ensure_bucket
from localdev.seaweed import SeaweedServer
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.cumulative_checkpoint import KeyEntry, Keyring, Signer
from schemas.log.streams import StreamId
from usecases.verify import verify_store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKET = "grantreview-bench-eventlog"
WORKERS = 32
T0 = datetime(2017, 8, 3, tzinfo=UTC)


def _client(server: SeaweedServer, identity: str) -> S3Client:
    return server.client(identity, max_pool=WORKERS * 2)


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def main() -> None:
    """Run the benchmark and print its figures."""
    streams = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    per_stream = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    total = streams * per_stream
    workdir = Path(tempfile.mkdtemp(prefix="grantreview-bench-eventlog-"))
    try:
        with SeaweedServer(workdir / "seaweed") as server:
            ensure_bucket(_client(server, "admin"), BUCKET, "", lock_mode="GOVERNANCE", lock_days=1)
            client = _client(server, "operator")
            figures = _measure(client, streams, per_stream)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"event log benchmark: {streams} streams x {per_stream} commits = {total} events")
    for name, value, base in figures:
        ratio = f"  ({value / base:.2f} x raw)" if base else ""
        print(f"  {name:<44} {value:9.0f} /s{ratio}")


def _measure(client: S3Client, streams: int, per_stream: int) -> list[tuple[str, float, float]]:
    total = streams * per_stream
    ids = [StreamId(program="bench", jurisdiction=f"j{n:05d}") for n in range(streams)]
    payload = LetterSent(letter_sha256="a" * 64, letter_date=T0.date(), response_due=None,
                         delivery="none")  # fmt: skip
    sample = seal_commit(stream=ids[0], seq=0, prev=GENESIS, idempotency_key="k0",
                         payloads=[payload], time=T0, actor="bench").to_bytes()  # fmt: skip
    raw_keys = [f"raw/{n:08d}" for n in range(total)]
    for n in range(50):  # warm up connections and the server before timing anything
        client.put_object(Bucket=BUCKET, Key=f"warmup/{n}", Body=sample)

    start = time.perf_counter()
    for key in raw_keys:
        client.put_object(Bucket=BUCKET, Key=key, Body=sample)
    raw_put = _rate(total, time.perf_counter() - start)

    start = time.perf_counter()
    for key in raw_keys[: total // 2]:
        client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    raw_get = _rate(total // 2, time.perf_counter() - start)

    def fetch(key: str) -> bytes:
        return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    start = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(fetch, raw_keys))
    raw_get_concurrent = _rate(total, time.perf_counter() - start)

    store = S3ObjectStore(client, BUCKET, max_workers=WORKERS)
    log = EventLog(store, "log/")
    start = time.perf_counter()
    for stream in ids:
        prev = GENESIS
        for seq in range(per_stream):
            commit = seal_commit(stream=stream, seq=seq, prev=prev, idempotency_key=f"k{seq}",
                                 payloads=[payload], time=T0, actor="bench")  # fmt: skip
            log.append(commit)
            prev = commit.hash
    appends = _rate(total, time.perf_counter() - start)

    signer = Signer(Ed25519PrivateKey.generate())
    start = time.perf_counter()
    write_checkpoint(log, signer, time=T0)
    sweep = time.perf_counter() - start
    entry = KeyEntry(
        fingerprint=signer.fingerprint, public_key=signer.public_bytes.hex(), valid_from=T0
    )
    keyring = Keyring(keys=(entry,))
    start = time.perf_counter()
    report = verify_store(store, "log/", keyring)
    verified = _rate(report.events, time.perf_counter() - start)
    if not report.ok:
        raise SystemExit(f"verification failed: {report.findings[:3]}")
    return [
        ("raw boto3 PUT (sequential)", raw_put, 0.0),
        ("EventLog.append (seal + If-None-Match PUT)", appends, raw_put),
        ("raw boto3 GET (sequential)", raw_get, 0.0),
        (f"raw boto3 GET ({WORKERS} threads)", raw_get_concurrent, 0.0),
        (f"audit verify, events ({WORKERS} threads)", verified, raw_get_concurrent),
        ("checkpoint sweep, streams", _rate(streams, sweep), 0.0),
    ]


if __name__ == "__main__":
    main()
