"""People as data: who may act, in which roles, with which SSH key, and when (issue #15).

The people file (YAML, `GRANTREVIEW_PEOPLE_FILE`) has one top-level key, `people:`, a
list of entries, one per person and key (a rotated key is a new entry; the old one gets
`valid_until`). It is stored content-addressed as its canonical JSON document, and that
hash is recorded on every act, so verification uses the file as it was. Pure.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas.base.canonical import canonical_json, sha256_hex
from schemas.base.errors import InputError
from schemas.base.ids import Slug
from schemas.people.sshsig import SshSignatureError, parse_public_key, public_key_line

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "PEOPLE_FORMAT",
    "PeopleError",
    "PeopleFile",
    "PersonEntry",
    "Role",
    "parse_people",
    "parse_people_document",
]

PEOPLE_FORMAT = "grantreview.people/1"
"""The `format` member of the stored canonical people document."""


class PeopleError(InputError):
    """A people file that is not valid: the message names the entry (exit 2)."""


class Role(StrEnum):
    """The roles a person may hold; which acts each allows is `schemas.people.acts.ROLE_ACTS`."""

    OPERATOR = "operator"
    REVIEWER = "reviewer"
    DETERMINING_OFFICIAL = "determining_official"
    ADMINISTRATOR = "administrator"
    AUDITOR = "auditor"


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class PersonEntry(BaseModel):
    """One person with one key, valid from `valid_from` (00:00 UTC) until `valid_until`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    name: str = Field(min_length=1, max_length=200)
    roles: tuple[Role, ...] = Field(min_length=1)
    key: str = Field(min_length=1, max_length=1000)
    valid_from: date
    valid_until: date | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        try:
            parse_public_key(self.key)
        except SshSignatureError as error:
            raise ValueError(f"key: {error}") from None
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The entry's key."""
        return parse_public_key(self.key)

    def covers(self, moment: datetime) -> bool:
        """Whether the entry is in force at `moment` ([valid_from, valid_until), UTC days)."""
        if moment < _start(self.valid_from):
            return False
        return self.valid_until is None or moment < _start(self.valid_until)


class PeopleFile(BaseModel):
    """Every entry; a person may appear once per key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    people: tuple[PersonEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen: set[tuple[str, str]] = set()
        for index, entry in enumerate(self.people):
            pair = (entry.id, public_key_line(entry.public_key))
            if pair in seen:
                raise ValueError(f"people[{index}] ({entry.id}): the same key is listed twice")
            seen.add(pair)
        return self

    def document(self) -> dict[str, object]:
        """The canonical document stored under documents/sha256/ (dates as ISO strings)."""
        return {"format": PEOPLE_FORMAT, **self.model_dump(mode="json")}

    def to_bytes(self) -> bytes:
        """The stored bytes."""
        return canonical_json(self.document())

    @property
    def sha256(self) -> str:
        """The hash every act records."""
        return sha256_hex(self.to_bytes())

    def entries(self, person: str, moment: datetime) -> list[PersonEntry]:
        """`person`'s entries in force at `moment` (one per key)."""
        return [entry for entry in self.people if entry.id == person and entry.covers(moment)]

    def known(self, person: str) -> bool:
        """Whether `person` appears at all."""
        return any(entry.id == person for entry in self.people)

    def shared_key(self) -> str | None:
        """Why one key is listed under two ids (one person could approve their own act)."""
        owner: dict[str, str] = {}
        for index, entry in enumerate(self.people):
            line = public_key_line(entry.public_key)
            first = owner.setdefault(line, entry.id)
            if first != entry.id:
                return (
                    f"people[{index}] ({entry.id}): the key is also {first!r}'s; "
                    "a key belongs to one id only"
                )
        return None


def parse_people(data: object, *, source: str) -> PeopleFile:
    """Validate loaded YAML as a people file; the error names `source` and the entry.

    A file listing one key under two ids is refused here, for `people check` and `adopt`;
    files stored before that rule still parse (`parse_people_document`), and verification
    counts their keys, not ids.
    """
    people = _validated(data, source=source)
    problem = people.shared_key()
    if problem is not None:
        raise PeopleError(f"{source}: {problem}")
    return people


def _validated(data: object, *, source: str) -> PeopleFile:
    try:
        return PeopleFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        parts = [str(part) for part in first["loc"]]
        where = parts[0] if parts else ""
        for part in parts[1:]:
            where += f"[{part}]" if part.isdigit() else f".{part}"
        entry = _entry_id(data, first["loc"])
        named = f" ({entry})" if entry else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        raise PeopleError(f"{source}: {where}{named}: {message}") from None


def _entry_id(data: object, loc: tuple[int | str, ...]) -> str | None:
    """The `id` of the entry an error is in, to name it."""
    if len(loc) < 2 or loc[0] != "people" or not isinstance(loc[1], int):  # noqa: PLR2004
        return None
    people = data.get("people") if isinstance(data, dict) else None
    if not isinstance(people, list) or loc[1] >= len(people):
        return None
    entry = people[loc[1]]
    found = entry.get("id") if isinstance(entry, dict) else None
    return found if isinstance(found, str) else None


def parse_people_document(raw: bytes) -> PeopleFile:
    """A stored people document back into a PeopleFile (its bytes must be canonical)."""
    try:
        document = json.loads(raw)
    except ValueError:
        raise PeopleError("stored people document is not JSON") from None
    if not isinstance(document, dict) or document.pop("format", None) != PEOPLE_FORMAT:
        raise PeopleError(f"stored people document is not {PEOPLE_FORMAT}")
    people = _validated(document, source="stored people document")
    if people.to_bytes() != raw:
        raise PeopleError("stored people document is not in canonical form")
    return people
