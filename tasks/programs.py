"""Store the program document content-addressed, so replays never read the repo's files."""

from __future__ import annotations

from infra.runtime import get_runtime
from tasks._io import io_task

__all__ = ["store_program_document"]


@io_task
def store_program_document(program: str) -> str:
    """Put the canonical program document under documents/sha256/ (once) and return its hash."""
    runtime = get_runtime()
    bundle = runtime.program(program)
    return runtime.documents.put(bundle.document())
