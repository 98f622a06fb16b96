"""A person's act as a named Prefect flow run when a Prefect API is configured.

With PREFECT_API_URL set (`make up`, a served deployment's server) `determine`, `approve`,
`reject`, `request-info` and `extend` run as flow runs named for what they do and for whom
(`determine stockton-ca psp-2017`), so the UI lists them beside the reviews, and a final
they reach emits `grantreview.decision.final`. Without one the use case runs directly: no
ephemeral server is started for one act (seconds), and there is no one to hear an event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["prefect_configured", "run_act"]

R = TypeVar("R")


def prefect_configured() -> bool:
    """Whether a Prefect API is configured (PREFECT_API_URL, or the active Prefect profile)."""
    from prefect.settings import get_current_settings  # noqa: PLC0415 - Prefect only when acting

    return get_current_settings().api.url is not None


def run_act(flow: Callable[[], Any], direct: Callable[[], R]) -> R:
    """Run the act through its flow (`flow` imports and runs it) or, without Prefect, directly.

    The flow returns what the use case returns; a refused act raises the same InputError.
    """
    if not prefect_configured():
        return direct()
    result: R = flow()
    return result
