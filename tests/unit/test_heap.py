"""The bulk collector setting nests: only the outermost block restores the collector."""

from __future__ import annotations

import gc

from infra.platform.heap import BULK_YOUNG_THRESHOLD, long_lived_heap


def test_nested_bulk_phases_restore_the_collector_only_at_the_outermost_exit() -> None:
    """A flow's body and its revising phase both open one; the inner exit changes nothing."""
    before = gc.get_threshold()
    with long_lived_heap():
        assert gc.get_threshold()[0] == BULK_YOUNG_THRESHOLD
        with long_lived_heap():
            kept = [object() for _ in range(10)]  # made inside the outer block
            assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == BULK_YOUNG_THRESHOLD
        assert gc.get_freeze_count() > 0  # the inner exit did not unfreeze the outer's heap
        del kept
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
