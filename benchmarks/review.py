"""Benchmark: `review --all` of 200 jurisdictions and one `respond`, as a user runs them.

Prints, from one run on local SeaweedFS and a local Prefect server (started here): the
wall time of `grantreview review --all` for 200 jurisdictions (letters, process start
included), the same with letters mailed to a loopback SMTP server, the wall time of one
`grantreview respond` until its decision is durable in S3, and the naive baseline (a
subflow per jurisdiction, default settings) measured on 20 and scaled to 200; then
`inbox` beside `status` (both read S3 only) for 4 jurisdictions and for SCALE decided ones.
Usage: python -m benchmarks.review [N [SCALE]]   (from the repo root; defaults 200 and
20,000; ~1 min plus the seeding of SCALE streams)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from aiosmtpd.controller import Controller

from infra.platform.settings import get_settings
from infra.runtime import get_runtime
from infra.s3.bucket import ensure_bucket
from localdev import PortReservations
from localdev.prefect_server import PrefectServer
from localdev.seaweed import SeaweedServer
from tests.support.builders import csv_bytes, seed_decided_streams, synthetic_jurisdictions

if TYPE_CHECKING:
    from schemas.program.jurisdiction import Jurisdiction

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "grantreview-bench"
PROGRAM = "psp-2017"
NAIVE = 20
SCALE = 20_000
INBOX_RATIO_TARGET = 2.0
"""`inbox` of every program within 2x `status` of one (issue #24)."""
REVIEW_TARGET_S = 15.0
RESPOND_TARGET_S = 2.0
BINARY = Path(sys.executable).with_name("grantreview")


class _Sink:
    """An SMTP receiver that only counts."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, *_: object) -> str:  # noqa: N802 - aiosmtpd's hook name
        """Accept every message."""
        self.count += 1
        return "250 OK"


def _run(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(BINARY), *args], env=env, capture_output=True, text=True, check=False, cwd=ROOT
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"grantreview {' '.join(args)} failed:\n{done.stderr}")
    return seconds


def _response_file(base: Path, slug: str) -> Path:
    document = json.loads(
        (ROOT / "programs" / PROGRAM / "examples" / "stockton-ca.json").read_text()
    )
    document["jurisdiction"] = slug
    path = base / f"{slug}.json"
    path.write_text(json.dumps(document))
    return path


def _naive_seconds(env: dict[str, str], slugs: list[str]) -> float:
    """A parent flow calling one subflow per jurisdiction (heartbeat on), in its own process."""
    script = f"""
import time
from datetime import UTC, datetime
from prefect import flow
from tasks.registry import select_jurisdictions
from tasks.review import advance_streams

@flow(name="naive-review-one", persist_result=False)
def review_one(slug: str) -> None:
    moment = datetime(2017, 8, 3, tzinfo=UTC)
    advance_streams("{PROGRAM}", select_jurisdictions([slug]), moment, moment)

@flow(name="naive-review", persist_result=False)
def review_all(slugs: list[str]) -> None:
    for slug in slugs:
        review_one(slug)

started = time.perf_counter()
review_all({slugs!r})
print(time.perf_counter() - started)
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"naive baseline failed:\n{done.stderr}")
    return float(done.stdout.strip().splitlines()[-1])


def _inbox_of_four(env: dict[str, str], base: Path, places: list[Jurisdiction]) -> None:
    """Four jurisdictions with letters: `inbox` of every program beside `status` of one."""
    four = {**env, "GRANTREVIEW_S3_PREFIX": "four/"}
    csv_file = base / "four.csv"
    csv_file.write_bytes(csv_bytes(places))
    _run(four, "jurisdictions", "import", str(csv_file))
    _run(four, "review", "--program", PROGRAM, "--all", "--as-of", "2017-08-03")
    status_s = min(_run(four, "status", "--program", PROGRAM) for _ in range(3))
    inbox_s = min(_run(four, "inbox") for _ in range(3))
    print(
        f"4 jurisdictions with letters (no Prefect import, best of 3): status {status_s:.2f} s, "
        f"inbox of every program {inbox_s:.2f} s (target <= 1 s)"
    )


def _inbox_at_scale(env: dict[str, str], base: Path, count: int) -> None:
    """Seed `count` decided streams, then time `inbox` and `status` over them (--json both)."""
    scale = {**env, "GRANTREVIEW_S3_PREFIX": "scale/"}
    places = synthetic_jurisdictions(count, seed=24)
    csv_file = base / "scale.csv"
    csv_file.write_bytes(csv_bytes(places))
    _run(scale, "jurisdictions", "import", str(csv_file))
    os.environ.update(scale)  # the seeding writes, signed, where the CLI then reads
    get_settings.cache_clear()
    get_runtime.cache_clear()
    runtime = get_runtime()
    started = time.perf_counter()
    seed_decided_streams(runtime.log, runtime.program(PROGRAM), places)
    print(f"{count:,} decided streams seeded in {time.perf_counter() - started:.0f} s")
    status_s = min(_run(scale, "status", "--program", PROGRAM, "--json") for _ in range(2))
    inbox_s = min(_run(scale, "inbox", "--program", PROGRAM, "--json") for _ in range(2))
    print(
        f"at {count:,} jurisdictions (--json, best of 2): status {status_s:.1f} s, "
        f"inbox {inbox_s:.1f} s: {inbox_s / status_s:.2f}x status "
        f"(target <= {INBOX_RATIO_TARGET:.0f}x)"
    )


def main() -> None:
    """Start the services, then measure and print every figure the issue asks for."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    base = Path(tempfile.mkdtemp(prefix="grantreview-bench-"))
    sink = _Sink()
    with PortReservations() as reserved:  # held until the receiver listens (SO_REUSEADDR)
        smtp_port = reserved.take()
        mail = Controller(sink, hostname="127.0.0.1", port=smtp_port)
        mail.start()
    with SeaweedServer(base / "seaweed") as seaweed, PrefectServer(base / "prefect") as prefect:
        ensure_bucket(
            seaweed.client("admin"),
            BUCKET,
            "",
            lock_mode="GOVERNANCE",
            lock_days=0,
        )
        env = {
            **os.environ,
            **seaweed.env("operator"),
            **prefect.env(),
            "GRANTREVIEW_S3_BUCKET": BUCKET,
            "GRANTREVIEW_OBJECT_LOCK_DAYS": "0",
            "GRANTREVIEW_LOG_LEVEL": "WARNING",
            # signed checkpoints, as in production: part of what `respond` waits for
            "GRANTREVIEW_SIGNING_KEY_FILE": str(base / "keys" / "signing-key.pem"),
            "GRANTREVIEW_VERIFY_KEY_FILE": str(base / "keys" / "verify-keys.json"),
        }
        # valid from 2017: the decided streams seeded at scale are dated in 2017
        _run(env, "keys", "generate", str(base / "keys"), "--valid-from", "2017-01-01T00:00:00")
        places = synthetic_jurisdictions(count + NAIVE)
        csv_file = base / "jurisdictions.csv"
        csv_file.write_bytes(csv_bytes(places[:count]))
        naive_csv = base / "naive.csv"
        naive_csv.write_bytes(csv_bytes(places[count:]))
        plain = {**env, "GRANTREVIEW_S3_PREFIX": "plain/"}
        mailed = {
            **env,
            "GRANTREVIEW_S3_PREFIX": "mailed/",
            "GRANTREVIEW_SMTP_URL": (
                f"smtp://127.0.0.1:{smtp_port}?from=ojp@ojp.example&to={{slug}}@places.example"
            ),
        }
        naive = {**env, "GRANTREVIEW_S3_PREFIX": "naive/"}
        for setting, source in ((plain, csv_file), (mailed, csv_file), (naive, naive_csv)):
            _run(setting, "jurisdictions", "import", str(source))
        four = [place.slug for place in places[:4]]
        _run(plain, "status", "--program", PROGRAM, "--json", *four)  # warm the OS file cache
        print(f"review --all of {count} jurisdictions (subprocess wall time, server up):")
        review_s = _run(plain, "review", "--program", PROGRAM, "--all", "--as-of", "2017-08-03")
        print(f"  letters, no mail delivery: {review_s:.1f} s (target <= {REVIEW_TARGET_S:.0f} s)")
        mailed_s = _run(mailed, "review", "--program", PROGRAM, "--all", "--as-of", "2017-08-03")
        print(f"  letters mailed over SMTP (loopback, {sink.count} messages): {mailed_s:.1f} s")
        again_s = _run(plain, "review", "--program", PROGRAM, "--all", "--as-of", "2017-08-03")
        print(f"  again, nothing due (appends nothing): {again_s:.1f} s")
        slug = places[0].slug
        responds = [
            _run(
                plain,
                "respond",
                slug if attempt == 0 else places[attempt].slug,
                "--program",
                PROGRAM,
                "--file",
                str(_response_file(base, slug if attempt == 0 else places[attempt].slug)),
            )
            for attempt in range(3)
        ]
        respond_s = sorted(responds)[1]
        print(
            f"respond -> decision durable in S3 (process start included, median of 3): "
            f"{respond_s:.2f} s (target <= {RESPOND_TARGET_S:.0f} s; runs "
            f"{', '.join(f'{s:.2f}' for s in responds)})"
        )
        status_s = min(_run(plain, "status", "--program", PROGRAM, *four) for _ in range(3))
        print(
            f"status of 4 jurisdictions (no Prefect import, best of 3): {status_s:.2f} s "
            "(target <= 1 s)"
        )
        _inbox_of_four(env, base, places[:4])
        scale = int(sys.argv[2]) if len(sys.argv) > 2 else SCALE
        _inbox_at_scale(env, base, scale)
        naive_s = _naive_seconds(naive, [place.slug for place in places[count:]])
        scaled = naive_s / NAIVE * count
        print(
            f"naive baseline (a subflow per jurisdiction, default settings): {naive_s:.1f} s "
            f"for {NAIVE} -> {scaled:.0f} s for {count}; review --all is "
            f"{scaled / review_s:.0f}x faster"
        )
    mail.stop()
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
