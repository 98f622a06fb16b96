"""Validation messages that name the file, the entry and the problem (pydantic errors, reworded)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

__all__ = ["describe", "validated"]

_M = TypeVar("_M", bound=BaseModel)


def _label(data: object, loc: tuple[int | str, ...]) -> str:
    node: Any = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return ""
    if isinstance(node, dict):
        if isinstance(node.get("id"), str):
            return f" ({node['id']})"
        if "version" in node:
            return f" (version {node['version']})"
    return ""


def _path(loc: tuple[int | str, ...]) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.removeprefix(".")


def describe(error: ValidationError, data: object, source: str) -> str:
    """One line: `source: entry (id): problem`, for the first validation error."""
    first = error.errors(include_url=False)[0]
    loc = tuple(first["loc"])
    kind = first["type"]
    if kind in {"extra_forbidden", "missing"}:
        split = len(loc) - 1
        what = "unknown key" if kind == "extra_forbidden" else "missing key"
        problem = f"{what} {loc[-1]!r}"
    else:
        indexes = [i for i, part in enumerate(loc) if isinstance(part, int)]
        split = indexes[-1] + 1 if indexes else 0
        cause = first.get("ctx", {}).get("error")
        message = str(cause) if kind == "value_error" and cause is not None else first["msg"]
        field = _path(loc[split:])
        problem = f"{field}: {message}" if field else message
    entry = _path(loc[:split])
    if entry and isinstance(loc[split - 1], int):
        entry += _label(data, loc[:split])
    return ": ".join(part for part in (source, entry, problem) if part)


def validated(model: type[_M], data: object, *, source: str, error: type[ValueError]) -> _M:
    """`model.model_validate(data)`, turning a ValidationError into `error` with a clear line."""
    try:
        return model.model_validate(data)
    except ValidationError as problem:
        raise error(describe(problem, data, source)) from None
