"""The lost-run automations on a real Prefect server: created once, updated in place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prefect import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.deploy.lost_runs import (
    CRASH_AUTOMATION,
    HEARTBEAT_SECONDS,
    RETRY_AUTOMATION,
    ensure_lost_run_retry,
)
from localdev.prefect_server import PrefectServer


def test_deploying_again_updates_the_automations_in_place(prefect_server: PrefectServer) -> None:
    """Every deploy calls it: the second call keeps one automation each, with the new window."""
    with temporary_settings(updates={PREFECT_API_URL: prefect_server.api_url}):
        first = ensure_lost_run_retry(45)
        second = ensure_lost_run_retry(90)
        with get_client(sync_client=True) as client:
            crash = client.read_automations_by_name(CRASH_AUTOMATION)
            retry = client.read_automations_by_name(RETRY_AUTOMATION)
    assert first == second
    assert [automation.id for automation in crash] == [first[0]]
    assert [automation.id for automation in retry] == [first[1]]
    assert getattr(crash[0].trigger, "within", None) == timedelta(seconds=90)


def test_a_window_within_one_heartbeat_is_refused() -> None:
    """A window no longer than the heartbeat period would crash healthy runs: refused."""
    with pytest.raises(ValueError, match="must exceed"):
        ensure_lost_run_retry(HEARTBEAT_SECONDS)
