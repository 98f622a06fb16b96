"""Benchmark: `audit replay` against the raw read limit on a local SeaweedFS, and how it grows.

Builds a log of 20,000 streams and 100,000 events directly through EventLog (threads, no
flows): three programs of 2,000, 8,000 and 10,000 streams, each stream a letter, a
reminder, a response (stored content-addressed) and an evaluated decision (5 events, 4
commits, 1 document). Then, each in a fresh process so peak memory is the run's own:
- the raw limit: list + GET + SHA-256 of the same objects, concurrency tuned over 16/32/64;
- replay (verify, re-derive, fold) of 10k, 50k and 100k events (1, 2 and 3 programs).
Targets: replay <= 1.1x the raw limit (issue #21: the tree included), <= 512 MB peak RSS, linear.
Usage: .venv/bin/python benchmarks/replay.py [--streams 20000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from botocore.config import Config
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.documents import DocumentStore
from infra.eventlog.integrator import Integrator
from infra.eventlog.listing import list_partitioned
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.s3_store import S3ObjectStore
from infra.files.programs import load_program
from infra.platform.settings import REPO_PROGRAMS_DIR
from infra.s3.bucket import ensure_bucket
from localdev.seaweed import SeaweedServer
from schemas.events.catalog import (
    JurisdictionsRegistered,
    LetterSent,
    ReminderSent,
    ResponseReceived,
)
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.cumulative_checkpoint import KeyEntry, Keyring, Signer
from schemas.log.streams import StreamId
from schemas.planning.draft import decision_payloads
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import parse_response
from schemas.rules.engine import evaluate
from schemas.tlog.layout import log_origin
from usecases.replay import replay_store

BUCKET = "grantreview-bench"
PREFIX = "bench/"
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
T0 = datetime(2017, 7, 26, tzinfo=UTC)
SHARES = (("bench-a", 0.1), ("bench-b", 0.4), ("bench-c", 0.5))
WORDS = [
    "ash",
    "birch",
    "cedar",
    "dale",
    "elm",
    "fern",
    "glen",
    "hill",
    "iris",
    "juniper",
    "kent",
    "lake",
    "mill",
    "north",
    "oak",
    "pine",
    "quay",
    "ridge",
    "stone",
    "troy",
    "union",
    "vale",
    "west",
    "york",
    "zion",
]
STATES = ("CA", "IL", "NY", "PA", "TX", "MD", "NM", "WA")


def _client(env: dict[str, str], pool: int) -> object:
    config = Config(
        max_pool_connections=pool,
        s3={"addressing_style": "path"},
        retries={"mode": "standard", "max_attempts": 6},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=env["GRANTREVIEW_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=config,
    )


def _store(env: dict[str, str], workers: int) -> S3ObjectStore:
    return S3ObjectStore(_client(env, workers + 8), BUCKET, max_workers=workers)  # type: ignore[arg-type]  # boto3's client factory is untyped


def _bundle(program_id: str) -> ProgramBundle:
    base = load_program(REPO_PROGRAMS_DIR, "jag-fy2017")
    return ProgramBundle(
        program=base.program.model_copy(update={"id": program_id}), files=base.files
    )


def _stream_commits(
    log: EventLog,
    docs: DocumentStore,
    bundle: ProgramBundle,
    place: Jurisdiction,
    rng: random.Random,
) -> None:
    stream = StreamId(program=bundle.program.id, jurisdiction=place.slug)
    answers = {
        q: {"answer": rng.choice(["yes", "yes", "no", "partial"])}
        for q in sorted(bundle.program.question_ids())
    }
    raw = json.dumps(
        {
            "jurisdiction": place.slug,
            "program": bundle.program.id,
            "received_at": "2017-09-01T12:00:00Z",
            "answers": answers,
            "respondent": {"name": "A. Person", "title": "Corporation Counsel"},
        }
    ).encode()
    sha = docs.put(raw)
    response = parse_response(raw)
    evaluation = evaluate(
        bundle,
        place,
        response,
        response_sha256=sha,
        as_of=datetime(2017, 9, 6, tzinfo=UTC),
        known_at=datetime(2017, 9, 6, tzinfo=UTC),
    )
    batches = [
        (
            "letter",
            (
                LetterSent(
                    letter_sha256="1" * 64,
                    letter_date=T0.date(),
                    response_due=T0.date() + timedelta(days=41),
                    delivery="none",
                ),
            ),
        ),
        ("reminder", (ReminderSent(letter_sha256="1" * 64, response_due=None, delivery="none"),)),
        (
            f"response:{sha}",
            (
                ResponseReceived(
                    response_sha256=sha,
                    received_at=response.received_at,
                    respondent=response.respondent,
                    answers=response.answers,
                ),
            ),
        ),
        (f"decision:{sha}", decision_payloads(evaluation)),
    ]
    prev = GENESIS
    for seq, (key, payloads) in enumerate(batches):
        commit = seal_commit(
            stream=stream,
            seq=seq,
            prev=prev,
            idempotency_key=key,
            payloads=payloads,
            time=T0 + timedelta(days=seq * 20),  # each recorded after what it dates
            actor="bench",
            signer=SIGNER,
        )
        log.append(commit)
        prev = commit.hash


def build(env: dict[str, str], streams: int) -> None:
    """Write the registry, every program's signed streams and documents, then integrate them."""
    store = _store(env, 64)
    log, docs = EventLog(store, PREFIX), DocumentStore(store, PREFIX)
    rng = random.Random(2017)
    places: list[tuple[ProgramBundle, Jurisdiction]] = []
    for program_id, share in SHARES:
        bundle = _bundle(program_id)
        docs.put(bundle.document())
        for index in range(int(streams * share)):
            slug = f"{rng.choice(WORDS)}-{program_id[-1]}{index}-{rng.choice(STATES).lower()}"
            places.append(
                (
                    bundle,
                    Jurisdiction(
                        slug=slug, name=slug, state=slug[-2:].upper(), geoid=f"{index:07d}"
                    ),
                )
            )
    rows = tuple({p.slug: p for _, p in places}.values())
    log.append(
        seal_commit(
            stream=StreamId.registry(),
            seq=0,
            prev=GENESIS,
            idempotency_key="import",
            payloads=[JurisdictionsRegistered(rows=rows, source_sha256="0" * 64)],
            time=T0 - timedelta(days=1),
            actor="bench",
            signer=SIGNER,
        )
    )
    with ThreadPoolExecutor(max_workers=64) as pool:
        list(
            pool.map(
                lambda pair: _stream_commits(
                    log, docs, pair[0], pair[1], random.Random(pair[1].slug)
                ),
                places,
            )
        )
    write_checkpoint(log, SIGNER, time=T0 + timedelta(days=70))
    keyring = _keyring()  # as a production log: every commit a leaf of the transparency log
    signed = EventLog(store, PREFIX, CommitKeys(SIGNER, keyring))
    integrator = Integrator(
        signed, origin=log_origin(BUCKET, PREFIX), signer=SIGNER, keyring=keyring
    )
    integrator.integrate(None, time=T0 + timedelta(days=71))


def _keyring() -> Keyring:
    entry = KeyEntry(
        fingerprint=SIGNER.fingerprint,
        public_key=SIGNER.public_bytes.hex(),
        valid_from=datetime(2000, 1, 1, tzinfo=UTC),
    )
    return Keyring(keys=(entry,))


def raw_limit(env: dict[str, str], programs: list[str], workers: int) -> dict[str, float]:
    """List, GET and SHA-256 what replay reads: commits, checkpoints, the tree, documents."""
    store = _store(env, workers)
    # As many documents as replay reads (a response per stream and the programs), listed
    # before the clock starts: replay finds them by hash without listing, so neither pays.
    docs = list_partitioned(store, [f"{PREFIX}documents/sha256/"], workers)
    started = time.perf_counter()
    folders = [f"{PREFIX}streams/{p}/" for p in ["_registry", *programs]]
    keys = list_partitioned(store, folders, workers) + list(
        store.list_keys(f"{PREFIX}checkpoints/")
    )
    keys += list_partitioned(store, [f"{PREFIX}tlog/"], workers)  # the tree replay checks
    keys += docs[: sum(1 for k in keys if k.endswith("00000000000000000002.json")) + len(programs)]
    total = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for body in pool.map(store.get, keys):
            total += len(hashlib.sha256(body or b"").digest())
    return {"seconds": time.perf_counter() - started, "objects": len(keys)}


def replay(env: dict[str, str], programs: list[str], workers: int) -> dict[str, float]:
    """One replay of the selected programs; the numbers the parent prints."""
    started = time.perf_counter()
    report = replay_store(
        _store(env, workers), PREFIX, _keyring(), programs=programs, workers=workers
    )
    if not report.ok:
        raise SystemExit(f"replay found problems in the benchmark log: {report.findings[:3]}")
    return {
        "seconds": time.perf_counter() - started,
        "events": report.events,
        "streams": report.streams,
    }


def _child(env: dict[str, str], mode: str, programs: list[str], workers: int) -> dict[str, float]:
    """Run one measurement in a fresh interpreter: its peak RSS is the measurement's own."""
    argv = [sys.executable, __file__, "--child", mode, "--workers", str(workers), *programs]
    done = subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} of {programs} failed: {done.stderr.strip()[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def child_main(mode: str, programs: list[str], workers: int) -> None:
    """The child side of `_child`: measure, then print one JSON line with the peak RSS."""
    env = {
        k: os.environ[k]
        for k in ("GRANTREVIEW_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    result = (replay if mode == "replay" else raw_limit)(env, programs, workers)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _ok(good: bool) -> str:
    return "ok" if good else "OVER TARGET"


def _measure(env: dict[str, str]) -> None:
    """Tune the raw limit's concurrency, then measure raw and replay at 1, 2 and 3 programs."""
    everything = [name for name, _ in SHARES]
    tuning = {w: _child(env, "raw", everything[:1], w)["seconds"] for w in (16, 32, 64)}
    workers = min(tuning, key=lambda w: tuning[w])
    tuned = ", ".join(f"{w} workers {s:.2f} s" for w, s in tuning.items())
    print(f"raw-limit tuning on the first program: {tuned}")
    rows = []
    for count in (1, 2, 3):
        raw = _child(env, "raw", everything[:count], workers)
        rows.append((_child(env, "replay", everything[:count], workers), raw))
    run, raw = rows[-1]
    ratio, peak = run["seconds"] / raw["seconds"], run["peak_mb"]
    print(
        f"\nreplay {run['events']:.0f} events, {run['streams']:.0f} streams: "
        f"{run['seconds']:.1f} s; raw limit ({raw['objects']:.0f} objects, {workers} workers): "
        f"{raw['seconds']:.1f} s; ratio {ratio:.2f} (target <= 1.1: {_ok(ratio <= 1.1)}); "
        f"peak {peak:.0f} MB (target <= 512: {_ok(peak <= 512)})"
    )
    print(f"\n{'events':>8} {'replay s':>9} {'raw s':>7} {'ratio':>6} {'us/event':>9} {'MB':>6}")
    for run, raw in rows:
        per = run["seconds"] / run["events"] * 1e6
        print(
            f"{run['events']:>8.0f} {run['seconds']:>9.1f} {raw['seconds']:>7.1f} "
            f"{run['seconds'] / raw['seconds']:>6.2f} {per:>9.0f} {run['peak_mb']:>6.0f}"
        )
    per_event = [run["seconds"] / run["events"] for run, _ in rows]
    growth = max(per_event) / min(per_event)
    print(f"cost per event varies {growth:.2f}x across sizes (linear: {_ok(growth <= 1.5)})")


def main() -> None:
    """Build the log, tune the raw limit, replay at three sizes and print the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=20_000)
    parser.add_argument("--child")
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("programs", nargs="*")
    args = parser.parse_args()
    if args.child:
        child_main(args.child, args.programs, args.workers)
        return
    with tempfile.TemporaryDirectory() as folder:
        server = SeaweedServer(Path(folder)).start()
        try:
            env = server.env("admin")
            client = _client(env, 8)
            ensure_bucket(client, BUCKET, "", lock_mode="GOVERNANCE", lock_days=0)  # type: ignore[arg-type]  # untyped factory
            started = time.perf_counter()
            build(env, args.streams)
            took = time.perf_counter() - started
            print(f"built {args.streams} streams, {args.streams * 5} events in {took:.1f} s")
            _measure(env)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
