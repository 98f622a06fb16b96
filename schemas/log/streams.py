"""Stream identity and the storage keys derived from it, validated before any I/O."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, model_validator

from schemas.base.ids import InvalidIdError, check_slug

__all__ = ["ACTS", "REGISTRY", "RUNS", "StreamId", "commit_key", "parse_commit_key"]

REGISTRY: Final = "_registry"
"""The program-level name of the jurisdiction registry; `_` keeps it apart from every slug."""
RUNS: Final = "_runs"
"""The jurisdiction-level name of a program's run records (reevaluations)."""
ACTS: Final = "_acts"
"""The jurisdiction-level name of a program's acts that span streams: started reviews and
proposals waiting for approval (docs/log-format.md, "Acts")."""
_SEQ_WIDTH: Final = 20


class StreamId(BaseModel):
    """One append-only stream: a program cycle x a jurisdiction (or a reserved system stream)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    program: str
    jurisdiction: str

    def __init__(self, *, program: str, jurisdiction: str) -> None:
        """Check ids first: a bad id raises InvalidIdError (CLI exit 2), not a ValidationError."""
        if isinstance(program, str) and isinstance(jurisdiction, str):
            _check_ids(program, jurisdiction)
        super().__init__(program=program, jurisdiction=jurisdiction)

    @model_validator(mode="after")
    def _check(self) -> StreamId:
        _check_ids(self.program, self.jurisdiction)
        return self

    @classmethod
    def registry(cls) -> StreamId:
        """The stream that records imported jurisdictions."""
        return cls(program=REGISTRY, jurisdiction="jurisdictions")

    @classmethod
    def runs(cls, program: str) -> StreamId:
        """The stream of a program's reevaluation run records."""
        return cls(program=program, jurisdiction=RUNS)

    @classmethod
    def acts(cls, program: str) -> StreamId:
        """The stream of a program's reviews started and acts proposed for approval."""
        return cls(program=program, jurisdiction=ACTS)

    @property
    def name(self) -> str:
        """`program/jurisdiction`, as written inside commits."""
        return f"{self.program}/{self.jurisdiction}"

    def key_prefix(self, prefix: str) -> str:
        """The folder of this stream's commits under the configured key prefix."""
        return f"{prefix}streams/{self.program}/{self.jurisdiction}/"


def _check_ids(program: str, jurisdiction: str) -> None:
    if program == REGISTRY:
        if jurisdiction != "jurisdictions":
            raise InvalidIdError("the registry has one stream: 'jurisdictions'")
        return
    check_slug(program, "program id")
    if jurisdiction not in {RUNS, ACTS}:
        check_slug(jurisdiction, "jurisdiction slug")


def commit_key(prefix: str, stream: StreamId, seq: int) -> str:
    """The key of commit `seq` of `stream`: zero-padded so keys list in order."""
    if seq < 0:
        raise ValueError("seq must be >= 0")
    return f"{stream.key_prefix(prefix)}{seq:0{_SEQ_WIDTH}d}.json"


def parse_commit_key(prefix: str, key: str) -> tuple[StreamId, int] | None:
    """Invert `commit_key`; None for a key that is not a well-formed commit key."""
    if not key.startswith(f"{prefix}streams/"):
        return None
    parts = key[len(prefix) + len("streams/") :].split("/")
    if len(parts) != 3 or not parts[2].endswith(".json"):  # noqa: PLR2004 - program/jur/file
        return None
    digits = parts[2][: -len(".json")]
    if len(digits) != _SEQ_WIDTH or not digits.isdigit() or not digits.isascii():
        return None
    try:
        stream = StreamId(program=parts[0], jurisdiction=parts[1])
    except ValueError:
        return None
    return stream, int(digits)
