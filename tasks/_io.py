"""The one task decorator for idempotent I/O: retried on transient failures only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import NO_CACHE

from infra.errors import DependencyRefusedError, UntrustedCommitError
from schemas.base.errors import InputError

__all__ = ["io_task", "retry_transient"]

P = ParamSpec("P")
R = TypeVar("R")


def retry_transient(_task: Any, _run: Any, state: Any) -> bool:  # noqa: ANN401 - Prefect's hook signature
    """Retry unless the failure is bad input, a refusal or an untrusted commit (fail again)."""
    try:
        state.result()
    except (InputError, DependencyRefusedError, UntrustedCommitError):
        return False
    except Exception:  # noqa: BLE001 - anything else may be transient
        return True
    return True


def io_task(fn: Callable[P, R]) -> Task[P, R]:
    """A Prefect task over idempotent I/O: no result caching, two retries on transient errors."""
    decorated: Task[P, R] = task(
        cache_policy=NO_CACHE,
        retries=2,
        retry_delay_seconds=1,
        persist_result=False,
        retry_condition_fn=retry_transient,
    )(fn)
    return decorated
