"""The decorator every flow here uses: Prefect's own Flow, with its parameters recorded lean.

Prefect records a run's parameters through FastAPI's `jsonable_encoder`, importing
FastAPI (~0.1 s) into every process that starts a flow run: a tenth of the `respond`
budget. pydantic's encoder gives the same JSON for the types our flows take (strings,
numbers, datetimes, lists, None) and is already loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Flow
from prefect.client.schemas.objects import State
from prefect.futures import PrefectFuture
from pydantic_core import PydanticSerializationError, to_jsonable_python

from flows.run_names import run_namer

__all__ = ["grant_flow"]

P = ParamSpec("P")
R = TypeVar("R")


class _LeanFlow(Flow[P, R]):
    """A Prefect Flow whose parameters are encoded by pydantic instead of FastAPI."""

    def serialize_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """JSON-ready parameters for the API; what cannot be encoded shows as `<Type>`."""
        return {key: _jsonable(value) for key, value in parameters.items()}


def _jsonable(value: object) -> object:
    if isinstance(value, (PrefectFuture, State)):
        return f"<{type(value).__name__}>"
    try:
        return to_jsonable_python(value)
    except (PydanticSerializationError, TypeError, ValueError, RecursionError):
        return f"<{type(value).__name__}>"


def grant_flow(
    name: str,
    *,
    task_runner: Any = None,  # noqa: ANN401 - Prefect's own TaskRunner union
    run_name: str | Callable[[], str] | None = None,
) -> Callable[[Callable[P, R]], Flow[P, R]]:
    """`@flow(name=...)` with our defaults: no result persistence, prints not captured.

    `run_name` is a template over the run's parameters (and `{date}`, see flows/run_names.py),
    or a callable Prefect calls inside the run for its name.
    """

    def decorate(function: Callable[P, R]) -> Flow[P, R]:
        return _LeanFlow(
            fn=function,
            name=name,
            persist_result=False,
            log_prints=False,
            task_runner=task_runner,
            flow_run_name=run_namer(run_name) if isinstance(run_name, str) else run_name,
        )

    return decorate
