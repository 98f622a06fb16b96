"""Sign a checkpoint over the stream heads a run saw (CloudTrail-style digests)."""

from __future__ import annotations

from infra.checkpoints import write_checkpoint
from infra.clock import utc_now
from infra.keys import load_signer
from infra.logging import get_logger
from infra.runtime import get_runtime
from schemas.streams import StreamId
from tasks._io import io_task
from tasks.streams import StreamOutcome

__all__ = ["checkpoint_everything", "checkpoint_heads"]

_log = get_logger(__name__)


@io_task
def checkpoint_heads(program: str, outcomes: list[StreamOutcome]) -> str | None:
    """Cover every head this run saw; returns the key written (None if all were covered).

    Heads the run did not append are included too: a run that died after appending but
    before its checkpoint leaves commits uncovered, and the rerun, which appends nothing,
    is what covers them. Heads already covered make no new checkpoint.
    """
    heads = {
        StreamId(program=program, jurisdiction=outcome.jurisdiction): (
            outcome.head_seq,
            outcome.head_hash,
        )
        for outcome in outcomes
        if outcome.head_seq >= 0
    }
    if not heads:
        return None
    return _write(heads)


@io_task
def checkpoint_everything() -> str | None:
    """The scheduled sweep: a checkpoint over every stream head in the log."""
    return _write(None)


def _write(heads: dict[StreamId, tuple[int, str]] | None) -> str | None:
    runtime = get_runtime()
    key_file = runtime.settings.signing_key_file
    if key_file is None:
        _log.warning("checkpoint_skipped", reason="GRANTREVIEW_SIGNING_KEY_FILE is not set")
        return None
    return write_checkpoint(runtime.log, load_signer(key_file), time=utc_now(), heads=heads)
