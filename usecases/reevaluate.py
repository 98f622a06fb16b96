"""Reevaluate a program: what is checked before the reevaluation flow runs (it writes nothing)."""

from __future__ import annotations

from infra.runtime import Runtime

__all__ = ["check_reevaluation"]


def check_reevaluation(runtime: Runtime, program: str) -> None:
    """Refuse an undefined or invalid program and a bad signing key before any run."""
    runtime.program(program)
    _ = runtime.signer
