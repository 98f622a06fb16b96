"""Record one reliability scenario's figures where `benchmarks/reliability_report.py` collects them.

Only when GRANTREVIEW_RELIABILITY_DIR is set (the report sets it for the tests it runs):
one JSON file per scenario; otherwise recording does nothing.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict
from pathlib import Path

from tests.support.log_checks import LogCheck

__all__ = ["FIGURES_DIR_ENV", "record_figures"]

FIGURES_DIR_ENV = "GRANTREVIEW_RELIABILITY_DIR"


def record_figures(
    scenario: str, *, faults: int, runs: int, check: LogCheck | None = None, note: str = ""
) -> None:
    """Write one scenario's figures where the report collects them (only when asked to)."""
    directory = os.environ.get(FIGURES_DIR_ENV)
    if not directory:
        return
    document = {
        "scenario": scenario,
        "faults": faults,
        "runs": runs,
        "note": note,
        **asdict(check or LogCheck()),
    }
    path = Path(directory) / f"{re.sub(r'[^a-z0-9-]+', '-', scenario.lower())}.json"
    path.write_text(json.dumps(document, indent=2, sort_keys=True))
