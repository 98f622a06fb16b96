"""Review jurisdictions: what is checked before the review flow runs (it writes nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from infra.checkpoints import check_before_writing
from infra.clock import utc_now
from infra.runtime import Runtime
from schemas.acts import ActType
from schemas.events import ActSigned
from schemas.stages import check_letter_not_overdue
from schemas.streams import StreamId
from usecases.acts import ActRequest, signed_act_for
from usecases.approvals import record_act
from usecases.registry import require_imported

__all__ = ["check_review", "record_review_act"]


def check_review(
    runtime: Runtime,
    program: str,
    slugs: Sequence[str] | None,
    as_of: datetime | None = None,
) -> None:
    """Refuse a bad program, signing key or slug, and a letter overdue on its date.

    A letter whose fixed `response_due` is before its date is refused (issue #16, point 6).
    The `review` flow (run by the CLI, a deployment or the UI) selects the same
    jurisdictions through `tasks.registry.select_jurisdictions`, over the same check.
    """
from schemas.acts import ActType
from schemas.events import ActSigned
from schemas.stages import check_letter_not_overdue
from schemas.streams import StreamId
from usecases.acts import ActRequest, signed_act_for
from usecases.approvals import record_act
