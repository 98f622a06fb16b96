"""Adding a court order to a program as a person's act: what the act says, what refuses it. Pure.

`programs add-order` turns a previewed order into a new program version. The act names the
program document before and after, the order and the preview the office saw (its hash,
`OrderPreview.sha256`), so an auditor can match what was acted on with what was previewed.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from schemas.base.errors import InputError
from schemas.events.catalog import OrderAdded

if TYPE_CHECKING:
    from collections.abc import Mapping

    from schemas.people.acts import Act
    from schemas.program.definition import ProgramBundle

__all__ = [
    "ORDER_TEXT_PARAMS",
    "act_order",
    "check_signed_params",
    "order_added",
    "order_params",
    "refuse_unchanged",
]


def refuse_unchanged(before: ProgramBundle, after: ProgramBundle, order_id: str) -> None:
    """An order already in the program exactly as given is not a new version: bad input."""
    if after.sha256 == before.sha256:
        raise InputError(
            f"order {order_id!r} is already in {before.program.id} unchanged: nothing to add"
        )


def order_params(
    order_id: str, before: ProgramBundle, after: ProgramBundle, preview_sha256: str
) -> dict[str, str]:
    """The `add-order` act's params: the order, both program versions, the preview's hash."""
    return {
        "order_id": order_id,
        "program_before_sha256": before.sha256,
        "program_sha256": after.sha256,
        "preview_sha256": preview_sha256,
    }


ORDER_TEXT_PARAMS: Final = ("order", "as_of", "known_at")
"""Params beside `order_params` that no field of `OrderAdded` holds: the order's text as
given (comments kept) and the preview's dates, so the act alone can be recorded later
(`--prepare`, then `submit`) and its preview computed again. Acts signed before they
existed have none of them."""


def act_order(act: Act) -> tuple[str, datetime, datetime]:
    """The order's text and the preview's `as_of` and `known_at` an `add-order` act carries."""
    params = act.params
    text = params.get("order")
    if not isinstance(text, str) or not text.strip():
        raise InputError("the add-order act carries no order text: prepare it again (--prepare)")
    dates: list[datetime] = []
    for name in ("as_of", "known_at"):
        try:
            moment = datetime.fromisoformat(str(params.get(name)))
        except ValueError:
            raise InputError(f"the add-order act's {name} is not a date and time") from None
        if moment.tzinfo is None:
            raise InputError(f"the add-order act's {name} has no time zone")
        dates.append(moment)
    return text, dates[0], dates[1]


_WHY_DIFFERENT: Final = {
    "order": "give the order file it was prepared from",
    "preview_sha256": "the log changed since it was prepared; preview and prepare again",
    "program_before_sha256": "the program changed since it was prepared; prepare again",
}


def check_signed_params(got: Mapping[str, Any], wanted: Mapping[str, Any]) -> None:
    """Refuse a signed act whose params differ, naming the first that does (one short line)."""
    causes = [name for name in _WHY_DIFFERENT if name in wanted]  # before their effects
    for name in [*causes, *(name for name in wanted if name not in _WHY_DIFFERENT)]:
        if got.get(name) != wanted[name]:
            why = _WHY_DIFFERENT.get(name, "prepare the act again")
            raise InputError(f"the signed act's {name} is not this addition's: {why}")


def order_added(act: Act) -> OrderAdded:
    """The event recording the effect of a signed `add-order` act, field for field."""
    params = act.params
    return OrderAdded(
        order_id=str(params["order_id"]),
        program_before_sha256=str(params["program_before_sha256"]),
        program_sha256=str(params["program_sha256"]),
        preview_sha256=str(params["preview_sha256"]),
        actor=act.actor,
    )
