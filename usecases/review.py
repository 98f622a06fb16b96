"""Review jurisdictions: what is checked before the review flow runs (it writes nothing)."""

from __future__ import annotations

from collections.abc import Sequence

from infra.checkpoints import check_before_writing
from infra.runtime import Runtime
from usecases.registry import require_imported

__all__ = ["check_review"]


def check_review(runtime: Runtime, program: str, slugs: Sequence[str] | None) -> None:
    """Refuse an undefined or invalid program, a bad signing key, a never-imported slug.

    The `review` flow (run by the CLI, a deployment or the UI) selects the same
    jurisdictions through `tasks.registry.select_jurisdictions`, over the same check.
    """
    runtime.program(program)
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    require_imported(runtime, slugs)
