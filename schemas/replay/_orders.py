"""Replaying an added court order: the new program version is the old one with that order.

`programs add-order` records `grantreview.program.order_added` with both program hashes and
the hash of the preview the act was signed over. Replay reads the three stored documents
back and checks that the new version is exactly the old one with the named order (added,
or its id's entry replaced), and that the preview was of that program version and order.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from schemas.base.canonical import sha256_hex
from schemas.base.findings import ReplayKind, ReplayProblem
from schemas.planning.preview import PREVIEW_FORMAT, with_order
from schemas.program.definition import ProgramBundle, ProgramError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from schemas.events.catalog import OrderAdded
    from schemas.replay._inputs import ProgramCatalog

__all__ = ["order_problems"]


def _version(event: OrderAdded, programs: ProgramCatalog) -> list[ReplayProblem]:
    before = programs.bundle(event.program_before_sha256)
    after = programs.bundle(event.program_sha256)
    problems = [found for found in (before, after) if isinstance(found, ReplayProblem)]
    if not isinstance(before, ProgramBundle) or not isinstance(after, ProgramBundle):
        return problems
    order = next((o for o in after.program.court_orders if o.id == event.order_id), None)
    if order is None:
        detail = f"program {event.program_sha256[:16]}... holds no order {event.order_id!r}"
        return [ReplayProblem(ReplayKind.DIVERGENCE, detail)]
    try:
        derived = with_order(before, order.model_dump(mode="json"), source="replay")
    except ProgramError as error:
        return [ReplayProblem(ReplayKind.UNDERIVABLE, f"the order cannot be added again: {error}")]
    if derived.sha256 != after.sha256:
        detail = (
            f"program {event.program_sha256[:16]}... is not program "
            f"{event.program_before_sha256[:16]}... with order {event.order_id!r}"
        )
        return [ReplayProblem(ReplayKind.DIVERGENCE, detail)]
    return []


def _preview(
    event: OrderAdded, program: str, documents: Mapping[str, bytes | None]
) -> list[ReplayProblem]:
    raw = documents.get(event.preview_sha256)
    short = f"preview document {event.preview_sha256[:16]}..."
    if raw is None:
        return [ReplayProblem(ReplayKind.MISSING_DOCUMENT, f"{short} is not stored")]
    if sha256_hex(raw) != event.preview_sha256:
        return [
            ReplayProblem(
                ReplayKind.TAMPERED_DOCUMENT, f"stored {short} no longer matches its hash"
            )
        ]
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    stated = None
    if isinstance(document, dict):
        stated = tuple(document.get(k) for k in ("format", "program", "order", "program_sha256"))
    if stated != (PREVIEW_FORMAT, program, event.order_id, event.program_sha256):
        detail = f"{short} is not a preview of order {event.order_id!r} in that program version"
        return [ReplayProblem(ReplayKind.INCONSISTENT, detail)]
    return []


def order_problems(
    event: OrderAdded,
    program: str,
    programs: ProgramCatalog,
    documents: Mapping[str, bytes | None],
) -> list[ReplayProblem]:
    """Why the recorded addition is not what its documents show; empty when it is."""
    return [*_version(event, programs), *_preview(event, program, documents)]
