"""Chunking: Prefect pays per task run, so work is split into a few large chunks, not per item."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

__all__ = ["chunk_size", "chunked"]

T = TypeVar("T")


def chunked(
    items: Sequence[T], *, parts: int = 8, smallest: int = 50, largest: int = 1000
) -> list[list[T]]:
    """At most about `parts` chunks of `smallest`..`largest` items each, order kept."""
    if not items:
        return []
    size = chunk_size(len(items), parts=parts, smallest=smallest, largest=largest)
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def chunk_size(count: int, *, parts: int, smallest: int, largest: int) -> int:
    """Items per chunk so `count` items make about `parts` chunks of `smallest`..`largest`."""
    return min(largest, max(smallest, math.ceil(count / parts)))
