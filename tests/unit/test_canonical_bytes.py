"""Canonical JSON's fast path (orjson) writes exactly the standard library's bytes.

Every hash and signature in the log covers these bytes, so the fast path must never differ
from the reference form (`json.dumps`, sorted keys, compact, UTF-8) the log was written in:
not for any code point, nesting, integer or key, and where orjson declines (a str-subclass
key, an integer past 64 bits, deep nesting) the reference form is written instead.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.base.canonical import canonical_json


def _reference(value: Any) -> bytes:  # noqa: ANN401 - any JSON value
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), _TEXT
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=2000, deadline=None)
@given(_VALUES)
def test_any_json_value_has_the_reference_bytes(value: Any) -> None:  # noqa: ANN401
    """Random values: unicode keys and strings, nesting, integers inside and past 64 bits."""
    assert canonical_json(value) == _reference(value)


def test_every_code_point_as_key_and_string_has_the_reference_bytes() -> None:
    """All 1,112,064 scalar values, as keys (sorted by code point) and as strings."""
    points = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    value = {point: point for point in points}
    assert canonical_json(value) == _reference(value)


class _Kind(StrEnum):
    A = "a-é"


class _Level(IntEnum):
    SEVEN = 7


@pytest.mark.parametrize(
    "value",
    [
        {"k": _Kind.A, "n": _Level.SEVEN, "t": (1, (_Kind.A,))},
        {_Kind.A: 1, "b": 2},  # orjson takes only exact str keys: the reference form then
        [2**64, -(2**63) - 1],  # past orjson's 64 bits: the reference form
        [[[[["deep"]]]]] * 2,
    ],
)
def test_what_orjson_declines_or_takes_as_a_subclass_has_the_reference_bytes(
    value: Any,  # noqa: ANN401 - any JSON value
) -> None:
    """Enum members, tuples, str-subclass keys and big integers: the same bytes."""
    assert canonical_json(value) == _reference(value)


def test_nesting_past_orjsons_limit_has_the_reference_bytes() -> None:
    """300 levels (orjson stops at 255): the reference form, not an error."""
    value: Any = "leaf"
    for _ in range(300):
        value = [value]
    assert canonical_json(value, checked=True) == _reference(value)


@dataclass
class _Point:
    x: int


@pytest.mark.parametrize("stray", [datetime(2018, 2, 1, tzinfo=UTC), _Point(1)])
def test_a_value_with_no_canonical_form_fails_even_when_vouched_for(stray: object) -> None:
    """A datetime or dataclass left in a value said to be checked is refused, not written.

    orjson alone would write them (an ISO string, an object): bytes the reference form never
    had, under a hash. The reference refuses them, so the fast path must too.
    """
    with pytest.raises(TypeError):
        canonical_json({"at": stray}, checked=True)
