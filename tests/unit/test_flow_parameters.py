"""Our flows record their parameters as Prefect's own encoder would, without FastAPI."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from prefect import Flow

from flows import grant_flow


def _sample(
    program: str,
    as_of: datetime | None,
    day: date,
    slugs: list[str],
    ranges: int,
    dry_run: bool,
) -> None:
    """A function with every parameter type our flows take."""


PARAMETERS: dict[str, Any] = {
    "program": "psp-2017",
    "as_of": datetime(2017, 9, 1, 12, 30, tzinfo=UTC),
    "day": date(2017, 9, 5),
    "slugs": ["stockton-ca", "san-bernardino-ca"],
    "ranges": 4,
    "dry_run": True,
}


def _normalised(encoded: dict[str, Any]) -> dict[str, Any]:
    """Datetimes compared as instants: `Z` and `+00:00` spell the same one."""
    as_of = encoded["as_of"]
    return {**encoded, "as_of": datetime.fromisoformat(as_of)}


def test_parameters_encode_as_prefects_own() -> None:
    """Same JSON values as FastAPI's jsonable_encoder for strings, dates, lists, numbers."""
    ours = grant_flow("sample")(_sample).serialize_parameters(PARAMETERS)
    prefects = Flow(fn=_sample, name="sample").serialize_parameters(PARAMETERS)
    assert _normalised(ours) == _normalised(prefects)
    assert ours["day"] == "2017-09-05"


def test_unencodable_parameter_becomes_a_placeholder() -> None:
    """A value pydantic cannot encode is recorded as `<Type>`, as Prefect does; never raised."""

    class Opaque:
        pass

    encoded = grant_flow("sample")(_sample).serialize_parameters({"program": Opaque()})
    assert encoded == {"program": "<Opaque>"}
