"""A Prefect API that cannot be reached is a dependency down (exit 3), never a bug (exit 70)."""

from __future__ import annotations

import pytest
from prefect import flow
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.deploy.run import run_flow
from infra.errors import DependencyUnavailableError


@flow
def _tiny() -> int:
    return 1


def test_unreachable_prefect_api_is_dependency_unavailable() -> None:
    """A closed port as PREFECT_API_URL raises DependencyUnavailableError naming the API."""
    with (
        temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:1/api"}),
        pytest.raises(DependencyUnavailableError, match="Prefect API unreachable"),
    ):
        run_flow(_tiny)
