"""Reevaluate a program: what is checked before the reevaluation flow runs (it writes nothing)."""

from __future__ import annotations

from infra.runtime import Runtime
from usecases.checkpoints import check_before_writing

__all__ = ["check_reevaluation"]


def check_reevaluation(runtime: Runtime, program: str, *, dry_run: bool = False) -> None:
    """Refuse a bad program, a bad signing key and an untrusted newest checkpoint (no run).

    A dry run writes nothing, so it does not need the checkpoint check.
    """
    runtime.program(program)
    if dry_run:
        _ = runtime.signer
    else:
        check_before_writing(runtime)
