"""The jurisdiction registry: CSV rows parsed strictly, and what an import adds."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Mapping, Sequence

from pydantic import ValidationError

from schemas.base.errors import InputError
from schemas.events.catalog import JurisdictionsRegistered
from schemas.planning.draft import CommitDraft
from schemas.program.jurisdiction import Jurisdiction

__all__ = [
    "MAX_CSV_BYTES",
    "RegistryImportError",
    "parse_jurisdictions_csv",
    "plan_import",
]

MAX_CSV_BYTES = 64 * 1024 * 1024
_REQUIRED = ("slug", "name", "state", "geoid")
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@")
# Control (Cc: tab, CR, LF, NUL) and format (Cf: zero-width, bidi) characters.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf"})


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
    if "\x00" in text:
        raise RegistryImportError(f"CSV contains a NUL character (character {text.index(chr(0))})")
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames or []
        _check_header(header)
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


def _check_header(header: Sequence[str]) -> None:
    """Refuse a column named twice: DictReader would silently keep the last one."""
    seen: set[str] = set()
    for column in header:
        name = unicodedata.normalize("NFKC", column).strip()
        if name in seen:
            raise RegistryImportError(f"CSV header names column {name!r} twice")
        seen.add(name)


def _cell(line: int, name: str, raw: str) -> str:
    """Normalise (NFKC, strip), then refuse hidden characters and formula starts."""
    value = unicodedata.normalize("NFKC", raw)
    for character in value:
        if unicodedata.category(character) in _HIDDEN_CATEGORIES:
            raise RegistryImportError(
                f"line {line}: {name} {raw[:40]!r} contains the control character "
                f"U+{ord(character):04X}"
            )
    value = value.strip()
    if value.startswith(_FORMULA_STARTS):
        raise RegistryImportError(
            f"line {line}: {name} {raw[:40]!r} starts with a spreadsheet formula character"
        )
    return value


def _row(line: int, record: Mapping[str | None, object]) -> Jurisdiction:
    values: dict[str, str] = {}
    for name in _REQUIRED:
        value = record.get(name)
        if not isinstance(value, str):
            raise RegistryImportError(f"line {line}: missing {name}")
        values[name] = _cell(line, name, value)
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
