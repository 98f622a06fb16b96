"""The preview flow: what a court order would change, shown as an artifact; writes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows._flow import grant_flow
from infra.files.programs import parse_order_text
from infra.runtime import get_runtime
from schemas.base.ids import Slug
from tasks.artifacts import publish_preview
from usecases.preview import preview_order

__all__ = ["preview"]


@grant_flow("preview", run_name="preview-{program}-{date}")
def preview(
    program: Slug,
    order: str,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> dict[str, Any]:
    """Evaluate every decided review with a court order added or changed; writes nothing.

    The run shows one artifact: who would change (outcome, reasons, award action, a draft of
    the notice the outcome calls for) and who would not, and why. `grantreview preview` in
    a terminal gives the same.

    Args:
        program: The program the order concerns, e.g. jag-fy2017.
        order: One court_orders entry in YAML, sources and certainty included: a new
            order, or an existing id with a changed period or scope (a stay).
        as_of: The date the evaluation is made for; empty means now.
        known_at: What the office knew of orders at; empty means the same as as_of.
    """
    found = preview_order(
        get_runtime(),
        program,
        parse_order_text(order, "the order"),
        source="the order",
        as_of=as_of,
        known_at=known_at,
    )
    publish_preview(found)
    return found.document() | {"preview_sha256": found.sha256}
