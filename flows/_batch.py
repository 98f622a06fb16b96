"""One batch pass over streams, shared by the review and the deadline sweep.

Store the program document, select the jurisdictions, run `step` on a few large chunks in
parallel, then publish the run's summary, emit its decisions as Prefect events and sign a
checkpoint over every head it saw.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import Task
from prefect.runtime import flow_run

from flows.chunks import chunked
from infra.errors import UntrustedCommitError
from infra.platform import progress
from tasks.artifacts import publish_run
from tasks.checkpoints import check_checkpoint_chain, checkpoint_heads
from tasks.decision_events import emit_decision_events
from tasks.programs import store_program_document
from tasks.registry import select_jurisdictions
from usecases.stream_outcome import StreamOutcome

__all__ = ["advance_in_chunks"]


def advance_in_chunks(
    step: Task[..., list[StreamOutcome]],
    program: str,
    jurisdictions: list[str] | None,
    as_of: datetime,
    known_at: datetime,
    **options: Any,  # noqa: ANN401 - the step's own keyword options
) -> list[StreamOutcome]:
    """Run `step` over the selected streams (None: every imported one); returns outcomes.

    Streams refused for an untrusted commit are skipped while the others go on; the run
    then fails with UntrustedCommitError naming them (exit 3), after the checkpoint.
    """
    check_checkpoint_chain()
    run_id = flow_run.get_id()
    store_program_document(program)
    selected = select_jurisdictions(jurisdictions)
    progress.expect(len(selected), "reviewing streams")
    chunks = chunked(selected)
    futures = [
        step.submit(
            program, chunk, as_of, known_at, flow_run_id=run_id, share=len(chunks), **options
        )
        for chunk in chunks
    ]
    outcomes = [outcome for future in futures for outcome in future.result()]
    published = publish_run.submit(program, outcomes)
    emitted = emit_decision_events.submit(program, outcomes)
    checkpoint_heads(program, outcomes)  # refused streams have no head to cover
    published.result()
    emitted.result()
    refused = [outcome.refused for outcome in outcomes if outcome.refused]
    if refused:
        others = f" (and {len(refused) - 1} more refused streams)" if len(refused) > 1 else ""
        raise UntrustedCommitError(refused[0] + others)
    return outcomes
