"""The add-order flow: a person adds a court order to a program, from the Prefect UI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows._flow import grant_flow
from flows._refusal import refused
from infra.files.programs import parse_order_text
from infra.runtime import get_runtime
from schemas.base.errors import InputError
from schemas.base.ids import Slug
from schemas.planning.order_addition import act_order
from tasks.acts import parse_signed_act
from tasks.artifacts import publish_preview
from usecases.add_order import OrderAddition
from usecases.add_order import add_order as record_order
from usecases.form_acts import check_form_act, prepare_command

__all__ = ["add_order"]


@grant_flow("add-order", run_name="add-order {program}")
def add_order(  # noqa: PLR0917 - Prefect passes parameters by name; the form's order
    program: Slug,
    actor: str,
    order: str | None = None,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    preview_sha256: str | None = None,
    act: str | None = None,
    signature: str | None = None,
) -> dict[str, Any]:
    """Add a court order to a program as a new version: a signed act, with its preview's hash.

    The same use case as `grantreview programs add-order`; the next reevaluate acts on it.
    Administrators and determining officials only. The run shows the preview the act was
    signed over as an artifact. Refused in one line, nothing written, without a valid act.

    Args:
        program: The program the order concerns, e.g. jag-fy2017.
        actor: Your id in the people file.
        order: One court_orders entry in YAML, sources and certainty included; empty when
            you fill in act (the act carries the order).
        as_of: The preview's date; empty means the act's, or now.
        known_at: When the office learned of the order; empty means the act's, or as_of.
        preview_sha256: The hash `preview` showed (same as_of): refused if the effect changed.
        act: With a people file in force: the act `programs add-order ... --prepare` printed.
        signature: Your SSH signature of the act (ssh-keygen -Y sign -n grantreview).
    """
    try:  # in the flow itself: a task's failure would log its traceback in the run's logs
        done = _from_form(program, actor, order, as_of, known_at, preview_sha256, act, signature)
    except InputError as error:  # bad input or a refused act: one line, nothing written
        return refused(error)  # type: ignore[no-any-return] # Prefect's Failed state ends it
    publish_preview(done.preview)
    return {
        "act_id": done.act_id,
        "order": done.order_id,
        "program_before_sha256": done.program_before_sha256,
        "program_sha256": done.program_sha256,
        "preview_sha256": done.preview.sha256,
        "changed": [row["jurisdiction"] for row in done.preview.changed],
    }


def _from_form(  # noqa: PLR0917 - the form's fields, in its order
    program: str,
    actor: str,
    order: str | None,
    as_of: datetime | None,
    known_at: datetime | None,
    preview_sha256: str | None,
    act: str | None,
    signature: str | None,
) -> OrderAddition:
    """Record the order the form gives (or the act carries); refused: nothing written."""
    runtime = get_runtime()
    presigned = parse_signed_act(act, signature)
    if presigned is not None:  # the act carries the order and the preview's dates
        text, act_as_of, act_known_at = act_order(presigned.act)
        order, as_of, known_at = order or text, as_of or act_as_of, known_at or act_known_at
    if not order:
        raise InputError("fill in order (one court_orders entry in YAML), or act and signature")
    dated = ["--as-of", as_of.isoformat()] if as_of else []
    command = ["add-order", program, "order.yaml", "--actor", actor, *dated]
    check_form_act(runtime, "adding an order", prepare_command("programs", command), presigned)
    return record_order(
        runtime,
        program,
        order,
        parse_order_text(order, "the order"),
        source="the order",
        actor=actor,
        as_of=as_of,
        known_at=known_at,
        expected_preview=preview_sha256,
        presigned=presigned,
    )
