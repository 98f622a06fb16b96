"""Identifiers: slugs for jurisdictions and programs, checked before any I/O."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

from schemas.base.errors import InputError

__all__ = ["SLUG_PATTERN", "InvalidIdError", "Slug", "check_slug"]

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


class InvalidIdError(InputError):
    """An identifier that is not a slug: refused before it can reach a storage key."""


def check_slug(value: str, what: str = "id") -> str:
    """Return `value` if it is a slug (lowercase ASCII, digits, inner hyphens, 1-64 chars)."""
    if not isinstance(value, str) or _SLUG.fullmatch(value) is None:
        shown = value if len(value) <= 80 else value[:77] + "..."  # noqa: PLR2004
        raise InvalidIdError(
            f"invalid {what} {shown!r}: use 1-64 lowercase letters, digits and inner hyphens"
        )
    return value


def _slug(value: str) -> str:
    return check_slug(value, "slug")


Slug = Annotated[
    str,
    AfterValidator(_slug),
    WithJsonSchema({"type": "string", "pattern": SLUG_PATTERN, "minLength": 1, "maxLength": 64}),
]
"""A slug; its JSON schema carries the pattern, so a form (Prefect's run form) refuses a bad one."""
