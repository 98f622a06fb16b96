"""Write N synthetic jurisdictions as a registry CSV (the builders live in tests/support).

Usage: python -m benchmarks.generate_jurisdictions N OUT.csv   (from the repo root)
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.builders import csv_bytes, synthetic_jurisdictions

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Write N synthetic jurisdictions as CSV to the path given."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or not args[0].isdigit():
        sys.stderr.write("usage: python -m benchmarks.generate_jurisdictions N OUT.csv\n")
        return 2
    rows = synthetic_jurisdictions(int(args[0]))
    Path(args[1]).write_bytes(csv_bytes(rows))
    sys.stderr.write(f"{len(rows)} jurisdictions written to {args[1]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
