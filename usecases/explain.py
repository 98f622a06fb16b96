"""Explain a review: the recorded response evaluated under the program now in the folder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from infra.platform.clock import utc_now
from infra.runtime import Runtime
from schemas.events.catalog import DecisionOverridden
from schemas.log.streams import StreamId
from schemas.planning.draft import evaluate_state
from schemas.rules.evaluation import Evaluation
from usecases.registry import require_imported

__all__ = ["Explanation", "explain"]


@dataclass(frozen=True)
class Explanation:
    """The evaluation as of `when`, and the human override in force, if any."""

    evaluation: Evaluation
    override: DecisionOverridden | None
    when: datetime


def explain(
    runtime: Runtime,
    program: str,
    jurisdiction: str,
    *,
    as_of: datetime | None,
    known_at: datetime | None,
) -> Explanation:
    """Evaluate as the decide step would (`as_of` default now, `known_at` default `as_of`).

    Writes nothing: the same pure evaluation a decision rests on, for a person to read.
    """
    bundle = runtime.program(program)
    (row,) = require_imported(runtime, [jurisdiction], label="jurisdiction", hint="")
    state = runtime.log.state(StreamId(program=program, jurisdiction=jurisdiction))
    when = as_of or utc_now()
    evaluation = evaluate_state(bundle, row, state, as_of=when, known_at=known_at or when)
    return Explanation(evaluation=evaluation, override=state.override, when=when)
