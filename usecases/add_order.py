"""`programs add-order`: a person adds a previewed court order to a program, a signed act.

The order (one `court_orders` entry, sources and certainty included) makes a new program
version: the program folder's program.yaml with the entry spliced in (every other line kept),
stored content-addressed like every program document. The act (`add-order`, by an
administrator or a determining official) names the program before and after, the order and
the hash of the preview computed here exactly as `grantreview preview` computes it; the
preview document itself is stored under that hash. The act also carries the order's text
and the preview's dates, so it is whole: `--prepare` prints it to sign elsewhere, and
`grantreview submit` (or the `act` and `add-order` deployments) records it from the act
alone. Every check runs before anything is written; the act is recorded on
`{program}/_acts` before the file is replaced, so a run that stops between the two is
finished by running it again (the act is not recorded twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from infra.files.program_edit import edited_program_text, write_program_text
from infra.files.programs import parse_order_text
from infra.platform.clock import utc_now
from schemas.base.canonical import canonical_json
from schemas.base.errors import InputError
from schemas.log.streams import StreamId
from schemas.people.acts import ActType
from schemas.planning.order_addition import (
    act_order,
    check_signed_params,
    order_added,
    order_params,
    refuse_unchanged,
)
from schemas.planning.preview import OrderPreview, with_order
from usecases.acts import ActRequest, prepare_act, recorded_act, signed_act_for
from usecases.checkpoints import check_before_writing
from usecases.preview import preview_order
from usecases.proposals import append_acts

if TYPE_CHECKING:
    from datetime import datetime

    from infra.runtime import Runtime
    from schemas.people.acts import Act, SignedAct
    from schemas.program.definition import ProgramBundle

__all__ = ["OrderAddition", "add_order", "prepare_add_order", "submit_add_order"]


@dataclass(frozen=True)
class OrderAddition:
    """What `add-order` did: the act, both program versions, and the preview acted on."""

    act_id: str | None
    """None when this order's act was on record already (a rerun that finished the file)."""
    order_id: str
    program_before_sha256: str
    program_sha256: str
    preview: OrderPreview


@dataclass(frozen=True)
class _Addition:
    """Everything checked before anything is written: both versions, the edit, the preview."""

    before: ProgramBundle
    after: ProgramBundle
    read: str
    edited: str
    preview: OrderPreview
    request: ActRequest


def _checked(
    runtime: Runtime,
    program: str,
    entry_text: str,
    entry: object,
    *,
    source: str,
    as_of: datetime | None,
    known_at: datetime | None,
    expected_preview: str | None,
) -> _Addition:
    """Check the order, edit the folder's text in memory and preview it: the act to sign."""
    before = runtime.program(program)
    after = with_order(before, entry, source=source)
    order_id = str(entry["id"]) if isinstance(entry, dict) else ""
    refuse_unchanged(before, after, order_id)
    read, edited = edited_program_text(
        runtime.settings.programs_dir,
        program,
        order_id=order_id,
        entry_text=entry_text,
        entry=entry,
        after=after,
    )
    moment = as_of or utc_now()
    knowledge = known_at or moment
    found = preview_order(runtime, program, entry, source=source, as_of=moment, known_at=knowledge)
    if expected_preview is not None and expected_preview != found.sha256:
        raise InputError(
            f"the preview now is {found.sha256}, not {expected_preview}: the log or the order "
            f"changed since it was read (or give the same --as-of {moment.isoformat()}); "
            "preview again"
        )
    params = order_params(order_id, before, after, found.sha256) | {
        "order": entry_text,
        "as_of": moment.isoformat(),
        "known_at": knowledge.isoformat(),
    }
    request = ActRequest(ActType.ADD_ORDER, program, (), params)
    return _Addition(before, after, read, edited, found, request)


def prepare_add_order(
    runtime: Runtime,
    program: str,
    entry_text: str,
    entry: object,
    *,
    source: str,
    actor: str,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    expected_preview: str | None = None,
) -> Act:
    """The `add-order` act to sign elsewhere (`--prepare`): every check made, nothing written."""
    checked = _checked(
        runtime,
        program,
        entry_text,
        entry,
        source=source,
        as_of=as_of,
        known_at=known_at,
        expected_preview=expected_preview,
    )
    return prepare_act(runtime, checked.request, actor)


def add_order(
    runtime: Runtime,
    program: str,
    entry_text: str,
    entry: object,
    *,
    source: str,
    actor: str,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    expected_preview: str | None = None,
    presigned: SignedAct | None = None,
) -> OrderAddition:
    """Check, preview, sign, record, then write the program folder; refused: nothing written.

    `expected_preview` (the hash `preview` printed, for the same `--as-of`) must match the
    preview computed now: else the log or the order changed since the office read it.
    `presigned` (an act signed elsewhere) must be exactly the act this would sign.
    """
    checked = _checked(
        runtime,
        program,
        entry_text,
        entry,
        source=source,
        as_of=as_of,
        known_at=known_at,
        expected_preview=expected_preview,
    )
    before, after, found = checked.before, checked.after, checked.preview
    order_id = str(checked.request.params["order_id"])
    if presigned is not None:
        check_signed_params(presigned.act.params, checked.request.params)
    signed = signed_act_for(runtime, checked.request, actor, presigned, needs=ActType.ADD_ORDER)
    if signed is None:
        raise InputError("adding an order is a signed act: set GRANTREVIEW_PEOPLE_FILE")
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    for document in (before.document(), after.document(), canonical_json(found.document())):
        runtime.documents.put(document)
    events = (recorded_act(runtime, signed), order_added(signed.act))
    key = f"add-order:{order_id}:{after.sha256}"
    recorded = append_acts(runtime, StreamId.acts(program), key, events)
    write_program_text(runtime.settings.programs_dir, program, checked.read, checked.edited)
    runtime.forget_program(program)
    return OrderAddition(
        act_id=signed.act_id if recorded else None,
        order_id=order_id,
        program_before_sha256=before.sha256,
        program_sha256=after.sha256,
        preview=found,
    )


def submit_add_order(runtime: Runtime, signed: SignedAct) -> OrderAddition:
    """Record an `add-order` act signed elsewhere, from the act alone (its order and dates)."""
    act = signed.act
    text, as_of, known_at = act_order(act)
    source = "the act's order"
    return add_order(
        runtime,
        act.program,
        text,
        parse_order_text(text, source),
        source=source,
        actor=act.actor,
        as_of=as_of,
        known_at=known_at,
        expected_preview=str(act.params.get("preview_sha256")),
        presigned=signed,
    )
