"""The inbox says when review commits are in no signed checkpoint (integration deferred)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infra.eventlog.memory_store import MemoryObjectStore
from infra.identity.keys import generate_key_pair
from infra.platform.clock import utc_now
from infra.platform.settings import Settings
from infra.runtime import Runtime
from schemas.planning.inbox import INTEGRATION_LAG, LOG, integration_item
from schemas.rules.evaluation import Outcome
from usecases.imports import import_csv
from usecases.inbox import inbox_items
from usecases.override import record_override
from usecases.receipts import checkpoint_now

ROOT = Path(__file__).resolve().parents[2]
COMMIT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_the_item_needs_an_unheld_commit_older_than_the_lag() -> None:
    """Held by a checkpoint, or recent: nothing; older and unheld: `grantreview checkpoint`."""
    late = COMMIT + INTEGRATION_LAG + timedelta(seconds=1)
    assert integration_item(None, None, late) is None
    assert integration_item(COMMIT, COMMIT, late) is None
    assert integration_item(COMMIT, None, COMMIT + INTEGRATION_LAG) is None
    item = integration_item(COMMIT, COMMIT - timedelta(hours=2), late)
    assert item is not None
    assert (item.program, item.waiting_on, item.command) == (
        LOG,
        "operator",
        "grantreview checkpoint",
    )
    assert item.overdue
    assert "deferred or failed" in item.what
    unsigned = integration_item(COMMIT, None, late)
    assert unsigned is not None
    assert "no signed checkpoint yet" in unsigned.what


@pytest.fixture
def signed(tmp_path: Path) -> Runtime:
    """A signing runtime over a memory store with the seed jurisdictions imported."""
    private, _ = generate_key_pair(tmp_path / "keys", valid_from=datetime(2020, 1, 1, tzinfo=UTC))
    made = Runtime(
        Settings(s3_prefix="p/", programs_dir=ROOT / "programs", signing_key_file=private)
    )
    made.__dict__["store"] = MemoryObjectStore()
    import_csv(made, ROOT / "programs" / "psp-2017" / "examples" / "jurisdictions.csv")
    return made


def _override(runtime: Runtime, reason: str) -> None:
    record_override(
        runtime, "psp-2017", "stockton-ca", decision=Outcome.ELIGIBLE, reason=reason, actor="a"
    )


def _log_items(runtime: Runtime) -> list[str]:
    return [item.command for item in inbox_items(runtime, ["psp-2017"]) if item.program == LOG]


def test_a_deferred_integration_is_listed_until_a_checkpoint_holds_it(
    signed: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An integrated write lists nothing; one whose integration never ran is listed, then not."""
    _override(signed, "court order")  # integrated as it ends
    later = utc_now() + timedelta(hours=1)
    monkeypatch.setattr("usecases.inbox.utc_now", lambda: later)
    assert _log_items(signed) == []
    monkeypatch.setattr("usecases.override.sign_heads", lambda *_, **__: None)  # deferred
    _override(signed, "a second order")
    assert _log_items(signed) == ["grantreview checkpoint"]
    assert checkpoint_now(signed) is not None  # the command, as the item prints it
    monkeypatch.setattr("usecases.inbox.utc_now", lambda: utc_now() + timedelta(hours=1))
    assert _log_items(signed) == []
