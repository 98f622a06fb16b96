"""What verification reports: one finding per problem, located by program, jurisdiction and seq."""

from __future__ import annotations

from enum import StrEnum
from typing import Generic, NamedTuple, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Finding",
    "FindingKind",
    "LocatedFinding",
    "ReplayFinding",
    "ReplayKind",
    "ReplayProblem",
    "stream_finding",
]


class Located(Protocol):
    """Where a finding sits: a stream's program and jurisdiction (a `StreamId`)."""

    @property
    def program(self) -> str: ...
    @property
    def jurisdiction(self) -> str: ...


K = TypeVar("K", bound=str)


class FindingKind(StrEnum):
    """The kinds of tampering (or damage) verification names; see docs/log-format.md."""

    MODIFIED = "modified"
    MISSING = "missing"
    INSERTED = "inserted"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    FORGED_CHECKPOINT = "forged_checkpoint"
    MOVED = "moved"
    BAD_FORMAT = "bad_format"
    UNSIGNED_COMMIT = "unsigned_commit"
    """An intact commit with no writer's signature: sealed by a writer without a key, or forged."""
    BAD_COMMIT_SIGNATURE = "bad_commit_signature"
    """A commit signature by a key outside the keyring or its window, or one that fails."""
    STRAY = "stray"
    """An object past a gap in its sequence that does not claim its key's seq: planted."""
    UNSIGNED_ACT = "unsigned_act"
    """A person's act recorded without their signature while a people file was in force."""
    BAD_ACT_SIGNATURE = "bad_act_signature"
    """An act whose SSH signature fails, or whose recorded effect differs from what was signed."""
    ACTOR_NOT_AUTHORIZED = "actor_not_authorized"
    """An act by someone unknown, outside their key's window, or without a role for it."""
    APPROVAL_MISSING = "approval_missing"
    """An act that took effect with fewer people than the program asked for."""
    SELF_APPROVAL = "self_approval"
    """An act approved by the person who proposed it."""
    ACT_BACKDATED = "act_backdated"
    """An act dated earlier than its recorded time minus the longest delay the writer allowed."""
    ACT_TIME_OUT_OF_BOUNDS = "act_time_out_of_bounds"
    """An act dated later than its recorded time plus the clock skew the writer allowed."""
    ACT_KEY_EXPIRED = "act_key_expired"
    """An act whose signing key was in force at the act's time but not when it was recorded."""
    DUPLICATE_KEY_APPROVAL = "duplicate_key_approval"
    """An act that took effect with two of its people signing with one key (one person, two ids)."""
    PEOPLE_FILE_CHANGED = "people_file_changed"
    """The people file an act names is missing from documents/ or no longer matches its hash."""
    NOT_IN_TREE = "not_in_tree"
    """A commit sealed longer than the integration bound before the newest tlog checkpoint
    that is not a leaf."""
    ABANDONED_BATCH = "abandoned_batch"
    """A tlog batch claim that was never finished and that a later signed batch skipped."""
    TREE_MISMATCH = "tree_mismatch"
    """Tiles, leaves or the index disagree with the commits or a signed checkpoint's root."""
    INCONSISTENT_CHECKPOINT = "inconsistent_checkpoint"
    """A tlog checkpoint that does not extend its predecessor (or what a witness saw)."""
    ROLLED_BACK = "rolled_back"
    """The newest tlog checkpoint is older than one a witness already saw."""
    STALE_CHECKPOINT = "stale_checkpoint"
    """The newest checkpoint is older than the auditor allows (`--max-age`): the log stopped."""


class LocatedFinding(BaseModel, Generic[K]):
    """One problem. Checkpoint findings have no program or jurisdiction; seq is the checkpoint's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    program: str | None
    jurisdiction: str | None
    seq: int | None
    kind: K
    detail: str
    key: str | None = None

    @property
    def location(self) -> str:
        """`program/jurisdiction seq N`, or `checkpoints seq N` for the checkpoint chain."""
        seq = "" if self.seq is None else f" seq {self.seq}"
        if self.program is None:
            return f"checkpoints{seq}"
        return f"{self.program}/{self.jurisdiction}{seq}"


class Finding(LocatedFinding[FindingKind]):
    """An integrity problem `audit verify` names (see docs/log-format.md)."""


class ReplayKind(StrEnum):
    """What replay names beside the integrity findings of `audit verify`."""

    DIVERGENCE = "divergence"
    MISSING_DOCUMENT = "missing_document"
    TAMPERED_DOCUMENT = "tampered_document"
    UNDERIVABLE = "underivable"
    INCONSISTENT = "inconsistent"
    PREMATURE = "premature"
    """A stage transition or response dated after the log recorded it (valid after recorded)."""
    MISDATED_RESPONSE = "misdated_response"
    """A response received before its letter's date or after it was recorded."""


class ReplayProblem(NamedTuple):
    """What replay found wrong before it knows where: a `ReplayKind` and a detail."""

    kind: ReplayKind
    detail: str


class ReplayFinding(LocatedFinding[str]):
    """One problem replay names: an integrity finding's kind, or a `ReplayKind`."""

    @classmethod
    def from_integrity(cls, finding: Finding) -> ReplayFinding:
        """An integrity finding (hash chain, checkpoints) in replay's shape."""
        return cls.model_validate(finding.model_dump())


def stream_finding(
    stream: Located, seq: int | None, kind: FindingKind, detail: str, key: str | None = None
) -> Finding:
    """A finding located in `stream`."""
    return Finding(
        program=stream.program,
        jurisdiction=stream.jurisdiction,
        seq=seq,
        kind=kind,
        detail=detail,
        key=key,
    )
