"""Integrate what a run appended into the transparency log and sign its checkpoint."""

from __future__ import annotations

from infra.runtime import get_runtime
from schemas.log.streams import StreamId
from tasks._io import io_task
from usecases.checkpoints import check_before_writing, sign_heads
from usecases.stream_outcome import StreamOutcome

__all__ = ["check_checkpoint_chain", "checkpoint_everything", "checkpoint_heads"]


@io_task
def check_checkpoint_chain() -> None:
    """A writing flow's first step: refuse to run over a forged, corrupt or replayed checkpoint.

    Runs before anything is appended, so an untrusted newest checkpoint stops the flow
    with nothing written (issue #13) rather than after its appends.
    """
    check_before_writing(get_runtime())


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
    """The scheduled sweep: integrate every pending commit; sign a fresh checkpoint anyway."""
    return sign_heads(get_runtime(), None, always_sign=True)


def _write(heads: dict[StreamId, tuple[int, str]] | None) -> str | None:
    return sign_heads(get_runtime(), heads)
