"""Importing a jurisdiction CSV into the registry stream (`prepare_import`: the act to sign)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infra.eventlog.appender import append_planned
from infra.eventlog.log import EventLog
from infra.platform.clock import utc_now
from infra.runtime import Runtime
from schemas.base.canonical import sha256_hex
from schemas.events.catalog import DomainEvent, JurisdictionsRegistered
from schemas.log.state import StreamState, fold, fold_registry
from schemas.log.streams import REGISTRY, StreamId
from schemas.people.acts import Act, ActType, SignedAct
from schemas.planning.draft import CommitDraft
from schemas.planning.registry import (
    MAX_CSV_BYTES,
    RegistryImportError,
    parse_jurisdictions_csv,
    plan_import,
)
from schemas.program.jurisdiction import Jurisdiction
from usecases.acts import ActRequest, prepare_act, recorded_act, signed_act_for
from usecases.checkpoints import check_before_writing, sign_heads

__all__ = ["import_csv", "import_request", "prepare_import", "read_csv_file"]


def read_csv_file(path: Path) -> bytes:
    """The file's bytes, refusing what is not a readable regular file of sane size."""
    if not path.is_file():
        raise RegistryImportError(f"{path}: no such file")
    if path.stat().st_size > MAX_CSV_BYTES:
        raise RegistryImportError(f"{path}: larger than {MAX_CSV_BYTES} bytes")
    return path.read_bytes()


@dataclass
class _ImportPlanner:
    """Plans the import against the registry as it stands, re-reading it if another import won."""

    log: EventLog
    rows: list[Jurisdiction]
    source: str
    head: int
    known: dict[str, Jurisdiction]
    act: DomainEvent | None = None
    last: CommitDraft | None = None

    def __call__(self, current: StreamState) -> CommitDraft | None:
        if current.head_seq != self.head:
            self.known = fold_registry(self.log.read_stream(current.stream))
            self.head = current.head_seq
        draft = plan_import(self.known, self.rows, self.source)
        if draft is not None and self.act is not None:
            draft = CommitDraft(draft.idempotency_key, (self.act, *draft.payloads))
        self.last = draft
        return self.last


def import_request(source_sha256: str) -> ActRequest:
    """The act an import is: the operator vouches for the file with this SHA-256."""
    return ActRequest(ActType.IMPORT, REGISTRY, (), {"source_sha256": source_sha256})


def _read_rows(path: Path) -> tuple[bytes, list[Jurisdiction]]:
    """The file's bytes and every row, checked: any bad row is bad input."""
    raw = read_csv_file(path)
    return raw, parse_jurisdictions_csv(raw)


def prepare_import(runtime: Runtime, path: Path, actor: str) -> Act:
    """The act importing this file is, to sign elsewhere; the file is checked as an import's."""
    raw, _ = _read_rows(path)
    return prepare_act(runtime, import_request(sha256_hex(raw)), actor)


def import_csv(
    runtime: Runtime, path: Path, actor: str | None = None, presigned: SignedAct | None = None
) -> dict[str, int]:
    """Parse the whole file first (any bad row: nothing written), then record new/changed rows.

    With a people file the import is `actor`'s signed act, recorded in the same commit;
    `presigned` is that act signed elsewhere (its signer acts unless `actor` is named).
    """
    raw, rows = _read_rows(path)
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    actor = actor or (presigned.act.actor if presigned else runtime.settings.actor)
    signed = signed_act_for(runtime, import_request(sha256_hex(raw)), actor, presigned)
    log = runtime.log
    stream = StreamId.registry()
    commits = log.read_stream(stream)
    start = fold(stream, commits)
    act = None if signed is None else recorded_act(runtime, signed)
    planner = _ImportPlanner(
        log, rows, sha256_hex(raw), start.head_seq, fold_registry(commits), act=act
    )
    result = append_planned(log, start, planner, time=utc_now(), actor=actor)
    if result.state.head_seq >= 0:
        sign_heads(runtime, {stream: (result.state.head_seq, result.state.head_hash)})
    recorded = 0
    if result.written and planner.last is not None:
        event = planner.last.payloads[-1]
        recorded = len(event.rows) if isinstance(event, JurisdictionsRegistered) else 0
    return {"rows": len(rows), "recorded": recorded}
