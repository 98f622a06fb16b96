"""The jurisdiction registry: CSV rows parsed strictly, and what an import adds."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from pydantic import ValidationError

from schemas.errors import InputError
from schemas.events import JurisdictionsRegistered
from schemas.jurisdiction import Jurisdiction
from schemas.review import CommitDraft

__all__ = [
    "MAX_CSV_BYTES",
    "RegistryImportError",
    "parse_jurisdictions_csv",
    "plan_import",
]

MAX_CSV_BYTES = 64 * 1024 * 1024
_REQUIRED = ("slug", "name", "state", "geoid")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class RegistryImportError(InputError):
    """A CSV that cannot be imported; the message names the line and the problem."""


def parse_jurisdictions_csv(raw: bytes) -> list[Jurisdiction]:
    """Parse `slug,name,state,geoid` rows (extra columns ignored); any bad row refuses the file."""
    if len(raw) > MAX_CSV_BYTES:
        raise RegistryImportError(f"CSV is {len(raw)} bytes; the limit is {MAX_CSV_BYTES}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RegistryImportError(f"CSV is not valid UTF-8 (byte {error.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames or []
        missing = [name for name in _REQUIRED if name not in header]
        if missing:
            raise RegistryImportError(
                f"CSV header lacks {', '.join(missing)}; expected slug,name,state,geoid"
            )
        rows = [_row(line, record) for line, record in enumerate(reader, start=2)]
    except csv.Error as error:
        raise RegistryImportError(f"CSV is malformed: {error}") from None
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        if row.slug in seen:
            raise RegistryImportError(
                f"line {line}: slug {row.slug!r} repeats line {seen[row.slug]}"
            )
        seen[row.slug] = line
    return rows


def _row(line: int, record: Mapping[str | None, object]) -> Jurisdiction:
    values: dict[str, str] = {}
    for name in _REQUIRED:
        value = record.get(name)
        if not isinstance(value, str):
            raise RegistryImportError(f"line {line}: missing {name}")
        if value.startswith(_FORMULA_STARTS):
            raise RegistryImportError(
                f"line {line}: {name} {value[:40]!r} starts with a spreadsheet formula character"
            )
        values[name] = value.strip()
    try:
        return Jurisdiction.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise RegistryImportError(f"line {line}: {field}: {first['msg']}") from None


def plan_import(
    current: Mapping[str, Jurisdiction], rows: Sequence[Jurisdiction], source_sha256: str
) -> CommitDraft | None:
    """Record only rows that are new or changed; re-importing the same rows changes nothing."""
    changed = tuple(row for row in rows if current.get(row.slug) != row)
    if not changed:
        return None
    event = JurisdictionsRegistered(rows=changed, source_sha256=source_sha256)
    return CommitDraft(f"import:{source_sha256}", (event,))
