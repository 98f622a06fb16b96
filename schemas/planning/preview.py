"""What a court order would change, before anyone acts on it: pure, writes nothing.

The program with the order added (or an entry of the same id replaced: a stay, a narrowed
scope) is evaluated for every decided stream exactly as `reevaluate` would, so the
jurisdictions listed as changed are the ones a real reevaluation then revises. For a
program with a review path a revision is told by a revision notice (sent by the review pass
after the reevaluation); the preview renders it as `notice_draft` with the same function and
from the same revision the sender uses (schemas/log/revision.py), so the draft is the
notice's bytes, whatever day it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from schemas.base.canonical import canonical_json, sha256_hex
from schemas.base.errors import InputError
from schemas.events.catalog import DecisionRevised
from schemas.log.revision import revision_of
from schemas.planning.notices import revision_markdown
from schemas.planning.reevaluation import RevisionStatus, reevaluate_stream, unregistered
from schemas.program.definition import (
    CourtOrder,
    ProgramBundle,
    ProgramError,
    check_footing,
    parse_program,
)
from schemas.rules.waivers import covers, in_force, start_of

if TYPE_CHECKING:
    from datetime import datetime

    from schemas.log.state import StreamState
    from schemas.planning.reevaluation import StreamReevaluation
    from schemas.program.jurisdiction import Jurisdiction

__all__ = ["PREVIEW_FORMAT", "OrderPreview", "preview_streams", "with_order"]

PREVIEW_FORMAT = "grantreview.preview/1"


def with_order(bundle: ProgramBundle, entry: object, *, source: str) -> ProgramBundle:
    """The program with one `court_orders` entry added, or the entry of its id replaced."""
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise ProgramError(f"{source}: one court_orders entry (a mapping with an id) is expected")
    data: dict[str, Any] = bundle.program.model_dump(mode="json")
    orders: list[Any] = list(data["court_orders"])
    ids = [order["id"] for order in orders]
    if entry["id"] in ids:
        orders[ids.index(entry["id"])] = entry
    else:
        orders.append(entry)
    program = parse_program(data | {"court_orders": orders}, source=source)
    check_footing(program, source=source)
    return ProgramBundle(program=program, files=bundle.files)


def _why_unchanged(
    order: CourtOrder, jurisdiction: Jurisdiction, at: datetime, known: datetime
) -> str:
    if not covers(order.scope, jurisdiction):
        return f"order {order.id} does not reach {jurisdiction.slug} (scope)"
    if not in_force(order.effective_from, order.effective_until, at):
        until = order.effective_until or "open"
        return f"order {order.id} is not in force then ({order.effective_from} to {until})"
    if start_of(order.learned_on) > known:
        return f"order {order.id} was not known yet (known {order.learned_on})"
    return f"order {order.id} reaches {jurisdiction.slug}; the outcome and reasons stand"


_STATUS_WHY = {
    RevisionStatus.OVERRIDDEN: "a person's decision stands (reported, never revised)",
    RevisionStatus.AWAITING_REVIEW: "awaiting review: the answer window decides, not reevaluate",
    RevisionStatus.NOT_DUE: "no response and the deadline has not passed",
    RevisionStatus.UNREGISTERED: "not in the jurisdiction registry",
}


@dataclass(frozen=True)
class OrderPreview:
    """Who changes (with the revision notice it would be sent) and who does not, and why."""

    program: str
    order: str
    program_sha256: str
    """The program document with the order, which `programs add-order` would store."""
    as_of: datetime
    known_at: datetime
    changed: list[dict[str, Any]]
    unchanged: list[dict[str, Any]]
    court_order: CourtOrder | None = None
    """The order as the program holds it, for the HTML report (its fields are in the program)."""

    def document(self) -> dict[str, Any]:
        """The `--json` document: one object per jurisdiction in `changed` or `unchanged`."""
        return {
            "format": PREVIEW_FORMAT,
            "program": self.program,
            "order": self.order,
            "program_sha256": self.program_sha256,
            "as_of": self.as_of.isoformat(),
            "known_at": self.known_at.isoformat(),
            "changed": self.changed,
            "unchanged": self.unchanged,
        }

    @property
    def sha256(self) -> str:
        """The hash of the canonical document: what `add-order` records as previewed."""
        return sha256_hex(canonical_json(self.document()))


def _changed(
    bundle: ProgramBundle, jurisdiction: Jurisdiction, found: StreamReevaluation
) -> dict[str, Any]:
    payloads = () if found.draft is None else found.draft.payloads
    revised = next((p for p in payloads if isinstance(p, DecisionRevised)), None)
    row: dict[str, Any] = {
        "jurisdiction": jurisdiction.slug,
        "name": jurisdiction.name,
        "before": found.before.value,
        "after": found.after.value,
        "reasons": list(found.reasons),
        "award_action": None if revised is None else revised.award_action,
        "notice_draft": None,
    }
    if revised is not None and revised.notice:
        revision = revision_of(revised)  # what the state holds once the revision is written
        try:
            row["notice_draft"] = revision_markdown(
                bundle, jurisdiction, revision, revision.as_of.date()
            )
        except InputError as error:
            row["notice_error"] = str(error)
    return row


def preview_streams(
    before: ProgramBundle,
    after: ProgramBundle,
    order_id: str,
    pairs: list[tuple[StreamState, Jurisdiction | None]],
    *,
    as_of: datetime,
    known_at: datetime,
) -> OrderPreview:
    """Evaluate every stream under `after` as reevaluate would; nothing is written."""
    order = next(o for o in after.program.court_orders if o.id == order_id)
    changed: list[dict[str, Any]] = []
    unchanged: list[dict[str, Any]] = []
    for state, jurisdiction in sorted(pairs, key=lambda pair: pair[0].stream.jurisdiction):
        slug = state.stream.jurisdiction
        if jurisdiction is None:
            found = unregistered(state)
        else:
            found = reevaluate_stream(state, after, jurisdiction, as_of=as_of, known_at=known_at)
        if found.status is RevisionStatus.REVISED and jurisdiction is not None:
            changed.append(_changed(after, jurisdiction, found))
            continue
        why = _STATUS_WHY.get(found.status)
        if why is None and jurisdiction is not None:
            why = _why_unchanged(order, jurisdiction, as_of, known_at)
        name = None if jurisdiction is None else jurisdiction.name
        row = {"jurisdiction": slug, "name": name, "status": found.status.value, "why": why}
        unchanged.append(row | {"decision": found.before.value})
    return OrderPreview(
        program=before.program.id,
        order=order_id,
        program_sha256=after.sha256,
        as_of=as_of,
        known_at=known_at,
        changed=changed,
        unchanged=unchanged,
        court_order=order,
    )
