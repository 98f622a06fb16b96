"""Every US county (and county equivalent) from the addfips package, offline, as a registry CSV.

Usage: python benchmarks/national_counties.py OUT.csv  (about 3,200 rows; slug `name-st`).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from importlib import resources
from pathlib import Path

__all__ = ["county_rows", "main"]

_VINTAGE = "counties_2020.csv"


def _slug(name: str, state: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return f"{words[:58].strip('-')}-{state.lower()}"


def county_rows() -> list[dict[str, str]]:
    """One row per county: slug, name, state, 5-digit county GEOID (sorted by GEOID)."""
    data = resources.files("addfips") / "data"
    states = {
        row["fips"]: row["postal"]
        for row in csv.DictReader(io.StringIO((data / "states.csv").read_text("utf-8")))
    }
    rows = []
    for row in csv.DictReader(io.StringIO((data / _VINTAGE).read_text("utf-8"))):
        state = states.get(row["statefp"])
        if state is None:
            continue
        geoid = row["statefp"] + row["countyfp"]
        rows.append(
            {
                "slug": _slug(row["name"], state),
                "name": f"{row['name']}, {state}",
                "state": state,
                "geoid": geoid,
            }
        )
    seen: set[str] = set()
    for row in sorted(rows, key=lambda r: r["geoid"]):
        if row["slug"] in seen:  # two counties of one state with one slug: keep both, by GEOID
            row["slug"] = f"{row['slug'][:56]}-{row['geoid']}"
        seen.add(row["slug"])
    return sorted(rows, key=lambda r: r["geoid"])


def main(argv: list[str] | None = None) -> int:
    """Write the CSV to the path given (or stdout) and report the row count on stderr."""
    args = sys.argv[1:] if argv is None else argv
    rows = county_rows()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["slug", "name", "state", "geoid"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    if args:
        Path(args[0]).write_text(out.getvalue(), encoding="utf-8")
    else:
        sys.stdout.write(out.getvalue())
    sys.stderr.write(f"{len(rows)} counties\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
