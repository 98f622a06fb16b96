"""The shipped programs as they were before staged reviews: one stage, final at evaluation."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["one_stage_copy"]


def one_stage_copy(programs: Path, target: Path) -> Path:
    """Copy `programs` to `target` with every `review:` section removed; return `target`.

    Tests written before issue #16 exercise one-round reviews (letter, response, final
    decision) on the shipped programs; they run on this copy so their intent holds while
    the shipped programs go through a preliminary stage (tests/integration/test_staged_reviews.py
    walks that path).
    """
    shutil.copytree(programs, target)
    for path in target.glob("*/program.yaml"):
        text = path.read_text(encoding="utf-8")
        if "\nreview:\n" not in text:
            continue
        start = text.index("\nreview:\n")
        end = text.index("\nquestions:\n", start)
        path.write_text(text[:start] + text[end:], encoding="utf-8")
    return target
