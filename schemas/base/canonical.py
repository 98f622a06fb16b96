"""Canonical JSON and SHA-256: the exact bytes every hash and signature covers.

The form is specified in docs/log-format.md: UTF-8, object keys sorted by code
point, no insignificant white space, no floats (integers, strings, booleans,
null, arrays and objects only), non-ASCII characters written as themselves.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import orjson

from schemas.base.errors import InputError

__all__ = ["CanonicalFormError", "canonical_json", "format_time", "sha256_hex"]


class CanonicalFormError(InputError):
    """A value that has no canonical form (a float, a non-string key, ...)."""


_SCALARS = (str, int, bool, type(None))


def _is_json(value: Any) -> bool:  # noqa: ANN401 - any JSON value
    """Whether `value` has a canonical form; no path strings, so the common case stays cheap."""
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and (isinstance(item, str) or _is_json(item))
            for key, item in value.items()
        )
    if isinstance(value, (list, tuple)):
        return all(isinstance(item, str) or _is_json(item) for item in value)
    return False


def _locate(value: Any, path: str) -> None:  # noqa: ANN401 - any JSON value
    """Raise for the first value without a canonical form, naming where it is."""
    if isinstance(value, float):
        raise CanonicalFormError(f"{path}: floats have no canonical form here")
    if isinstance(value, _SCALARS):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalFormError(f"{path}: object keys must be strings")
            _locate(item, f"{path}.{key}")
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _locate(item, f"{path}[{index}]")
        return
    raise CanonicalFormError(f"{path}: {type(value).__name__} is not a JSON value")


def canonical_json(value: Any, *, checked: bool = False) -> bytes:  # noqa: ANN401 - any JSON value
    """Serialize a JSON value to its one canonical byte string.

    `checked`: `value` is known to hold JSON values only, so the walk that refuses floats
    and non-string keys is skipped (it is a third of the cost): it is made of parts of a
    value just serialized here, or it is a typed model's JSON dump whose schema has no
    number and no untyped value (tests/unit/test_canonical_payloads.py).
    """
    if not checked and not _is_json(value):
        _locate(value, "$")
    try:
        # orjson writes these very bytes ~9x faster (tests/unit/test_canonical_bytes.py holds
        # them equal): it was the largest cost of sealing a commit. It would also write
        # datetimes and dataclasses, which have no canonical form: passed through, they
        # fail in the reference form as they always did, never become bytes silently.
        return orjson.dumps(value, option=_ORJSON)
    except TypeError:  # a str-subclass key, an integer past 64 bits, nesting past 255
        return _standard(value)


_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _standard(value: Any) -> bytes:  # noqa: ANN401 - any JSON value
    """The canonical form by the standard library: the reference the fast path must equal."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds: one spelling for every instant."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not allowed in the log")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
