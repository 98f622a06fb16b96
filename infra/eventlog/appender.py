"""Append what the pure core planned, re-reading and re-planning when another writer won."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from infra.errors import ContentionError
from infra.eventlog.log import ConflictError, EventLog
from infra.platform.logging import get_logger
from schemas.log.state import StreamState, advance
from schemas.planning.draft import CommitDraft

__all__ = ["AppendResult", "StreamConflictError", "append_planned"]

_ATTEMPTS = 32
_log = get_logger(__name__)


class StreamConflictError(ContentionError):
    """Writers kept racing on one stream; nothing of ours was written."""


@dataclass(frozen=True)
class AppendResult:
    """The stream's state after the attempt, and whether a commit of ours was written."""

    state: StreamState
    written: bool


def append_planned(
    log: EventLog,
    state: StreamState,
    plan: Callable[[StreamState], CommitDraft | None],
    *,
    time: datetime,
    actor: str,
    flow_run_id: str | None = None,
) -> AppendResult:
    """Plan against `state`, seal, append; on a conflict re-read the stream and plan again."""
    for _ in range(_ATTEMPTS):
        draft = plan(state)
        if draft is None or draft.idempotency_key in state.idempotency_keys:
            return AppendResult(state, written=False)
        commit = draft.seal_on(
            state, time=time, actor=actor, flow_run_id=flow_run_id, signer=log.signer
        )
        try:
            written = log.append(commit)
        except ConflictError:
            _log.info("append_conflict", stream=state.stream.name, seq=commit.seq)
            state = log.state(state.stream, start=state)
            continue
        if written:
            _log.info(
                "commit_appended",
                program=state.stream.program,
                jurisdiction=state.stream.jurisdiction,
                seq=commit.seq,
                idempotency_key=commit.idempotency_key,
                flow_run_id=flow_run_id,
            )
            return AppendResult(advance(state, commit.head, draft.payloads), written=True)
        return AppendResult(log.state(state.stream, start=state), written=False)
    raise StreamConflictError(f"{state.stream.name}: too many concurrent writers; try again")
