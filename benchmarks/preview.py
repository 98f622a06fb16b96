"""Benchmark: `preview` of a court order beside `reevaluate --dry-run` at 20,000 jurisdictions.

Both on local SeaweedFS (and a local Prefect server for the dry run) in one run, from the
same warm state index: the dry run through its flow with the order in a copy of the
programs folder, the preview with the order given as one entry (it also renders a draft
notice for every changed jurisdiction). Prints both times and their ratio (target <= 1.5x).
Usage: python -m benchmarks.preview [N]   (from the repo root; default 20000)
"""

from __future__ import annotations

import sys

import yaml

from benchmarks.reevaluate import (  # the same program, order and set-up as that benchmark
    ORDER,
    PROGRAM,
    ROOT,
    _day,
    _timed,
    bench_services,
)
from tests.support.builders import csv_bytes, seed_decided_streams, synthetic_jurisdictions

AS_OF = "2018-02-01"
"""After the order opens: every decision would change, the most work for both."""


def main() -> None:
    """Seed N decided streams, warm the index, then time the dry run and the preview."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with bench_services() as base:
        # Imported after the environment is set: settings are read on first use.
        from flows.deploy.run import run_flow  # noqa: PLC0415
        from flows.reevaluate import reevaluate  # noqa: PLC0415
        from infra.platform.settings import get_settings  # noqa: PLC0415
        from infra.runtime import Runtime, get_runtime  # noqa: PLC0415
        from usecases.imports import import_csv  # noqa: PLC0415
        from usecases.preview import preview_order  # noqa: PLC0415
        from usecases.receipts import checkpoint_now  # noqa: PLC0415

        runtime = get_runtime()
        places = synthetic_jurisdictions(count)
        csv_file = base / "jurisdictions.csv"
        csv_file.write_bytes(csv_bytes(places))
        print(f"set-up ({count:,} jurisdictions):", flush=True)
        _timed("jurisdictions import", lambda: import_csv(runtime, csv_file))
        repo = Runtime(get_settings().model_copy(update={"programs_dir": ROOT / "programs"}))
        _timed(
            "seed decided streams",
            lambda: seed_decided_streams(runtime.log, repo.program(PROGRAM), places, workers=32),
        )
        _timed("sweep into the transparency log", lambda: checkpoint_now(runtime))
        _timed(
            "warm the index (a real run, nothing changes)",
            lambda: run_flow(reevaluate, PROGRAM, _day("2017-10-01")),
        )
        (entry,) = yaml.safe_load(ORDER)["court_orders"]
        print("measured (the better of two each, same warm index):", flush=True)
        dry_s = min(
            _timed(
                f"reevaluate --dry-run (run {run})",
                lambda: run_flow(reevaluate, PROGRAM, _day(AS_OF), dry_run=True),
            )[0]
            for run in (1, 2)
        )
        previews = [
            _timed(
                f"preview (run {run})",
                lambda: preview_order(
                    repo, PROGRAM, entry, source="order", as_of=_day(AS_OF), known_at=None
                ),
            )
            for run in (1, 2)
        ]
        preview_s, found = min(previews, key=lambda timed: timed[0])
        changed = len(getattr(found, "changed", []))
        print("results:")
        print(
            f"  preview: {preview_s:.1f} s ({changed:,} would change, each with a draft notice) "
            f"= {preview_s / dry_s:.2f}x reevaluate --dry-run ({dry_s:.1f} s; target <= 1.5x)"
        )


if __name__ == "__main__":
    main()
