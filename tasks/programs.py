"""Store the program document content-addressed, so replays never read the repo's files."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from infra.runtime import get_runtime

__all__ = ["store_program_document"]


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1, persist_result=False)
def store_program_document(program: str) -> str:
    """Put the canonical program document under documents/sha256/ (once) and return its hash."""
    runtime = get_runtime()
    bundle = runtime.program(program)
    return runtime.documents.put(bundle.document())
