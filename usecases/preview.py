"""Preview a court order: every decided review evaluated with it, nothing written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.index.state_index import load_states
from infra.platform.clock import utc_now
from schemas.planning.preview import OrderPreview, preview_streams, with_order

if TYPE_CHECKING:
    from datetime import datetime

    from infra.runtime import Runtime

__all__ = ["preview_order"]


def preview_order(
    runtime: Runtime,
    program: str,
    entry: object,
    *,
    source: str,
    as_of: datetime | None,
    known_at: datetime | None,
) -> OrderPreview:
    """Who a new or changed order would change, why the others stand, and each notice.

    Reads the same stream states `reevaluate` does (the state index, brought up to date in
    memory) and writes nothing: no index, no run record, no document.
    """
    bundle = runtime.program(program)
    changed = with_order(bundle, entry, source=source)
    order_id = str(entry["id"]) if isinstance(entry, dict) else ""
    moment = as_of or utc_now()
    registry = runtime.registry()
    states = load_states(runtime.log, program, workers=runtime.settings.s3_max_workers).states
    pairs = [(state, registry.get(slug)) for slug, state in states.items()]
    return preview_streams(
        bundle, changed, order_id, pairs, as_of=moment, known_at=known_at or moment
    )
