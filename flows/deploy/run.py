"""Run a flow in this process on whatever Prefect API is configured, without the 1 s heartbeat."""

from __future__ import annotations

from typing import Any, ParamSpec, TypeVar

import httpx
from prefect import Flow
from prefect.context import SettingsContext, get_settings_context
from prefect.exceptions import PrefectHTTPStatusError

from infra.errors import DependencyUnavailableError

__all__ = ["PREFECT_HINT", "run_flow"]

PREFECT_HINT = (
    "start it with `make up` and `. .data/env` (or `make server`), check PREFECT_API_URL, "
    "or unset PREFECT_API_URL to run in ephemeral mode"
)
"""What to do when the configured Prefect API does not answer."""

P = ParamSpec("P")
R = TypeVar("R")


def run_flow(flow: Flow[P, R], *args: Any, **kwargs: Any) -> R:  # noqa: ANN401 - the flow's own parameters
    """Call the flow; heartbeat-based crash detection is traded for ~1 s less per run."""
    try:
        with _without_heartbeat():
            result: R = flow(*args, **kwargs)
            return result
    except (httpx.ConnectError, httpx.TimeoutException) as error:
        raise _unreachable_error(error) from None
    except PrefectHTTPStatusError as error:
        raise DependencyUnavailableError(f"Prefect API refused the run: {error}") from None
    except RuntimeError as error:
        if not _unreachable(error):
            raise
        raise _unreachable_error(error) from None


def _unreachable_error(error: Exception) -> DependencyUnavailableError:
    return DependencyUnavailableError(f"Prefect API unreachable ({error}); {PREFECT_HINT}")


def _unreachable(error: RuntimeError) -> bool:
    """Prefect's client wraps a failed connection in `RuntimeError("Failed to reach API ...")`.

    It checks the server's version before the first call and chains the transport error
    (`raise_for_api_version_mismatch`); the cause is what tells it from a bug.
    """
    cause = error.__cause__
    return isinstance(cause, httpx.TransportError) or str(error).startswith("Failed to reach API")


def _without_heartbeat() -> SettingsContext:
    """The current settings with the heartbeat off, copied without re-reading the environment.

    `temporary_settings` rebuilds Settings from every source (~30 ms); this copies two models.
    """
    context = get_settings_context()
    current = context.settings
    flows = current.flows.model_copy(update={"heartbeat_frequency": None})
    return SettingsContext(
        profile=context.profile, settings=current.model_copy(update={"flows": flows})
    )
