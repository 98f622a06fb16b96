"""Chunking: Prefect pays per task run, so work is split into a few large chunks, not per item."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

__all__ = ["chunk_size", "chunked", "guided"]

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


def guided(items: Iterator[T], estimate: Callable[[], int], parts: int) -> Iterator[list[T]]:
    """Chunks of `items` that shrink as the run nears its end (guided self-scheduling).

    Each is about 1/`parts` of the revisions estimated to remain (100..1,000): large
    chunks while many remain (Prefect pays per task run), small ones at the end, so no
    writer sits idle while another finishes a large last chunk.
    """
    taken = 0
    while True:
        remaining = max(0, estimate() - taken)
        chunk = list(islice(items, chunk_size(remaining, parts=parts, smallest=100, largest=1_000)))
        if not chunk:
            return
        taken += len(chunk)
        yield chunk
