"""The limits on what a person writes are declared once: the events and the checks agree."""

from __future__ import annotations

from collections.abc import Callable

import annotated_types
import pytest
from pydantic import BaseModel

from schemas.base.errors import InputError
from schemas.events.catalog import DecisionOverridden
from schemas.events.limits import MAX_ACTOR, MAX_REASON
from schemas.events.stage_events import DeadlineExtended, DecisionDetermined, InformationRequested
from schemas.rules.evaluation import Outcome
from usecases.override import check_override
from usecases.stages import check_act

PERSONS_EVENTS = (DecisionOverridden, DecisionDetermined, DeadlineExtended, InformationRequested)


def _max_length(model: type[BaseModel], name: str) -> int | None:
    metadata = model.model_fields[name].metadata
    return next((m.max_length for m in metadata if isinstance(m, annotated_types.MaxLen)), None)


@pytest.mark.parametrize("event", PERSONS_EVENTS)
def test_every_persons_event_declares_the_shared_limits(
    event: type[BaseModel],
) -> None:
    """Each event a person's act records bounds reason and actor by the one declaration."""
    assert (_max_length(event, "reason"), _max_length(event, "actor")) == (MAX_REASON, MAX_ACTOR)


@pytest.mark.parametrize(
    ("reason", "actor", "refused"),
    [
        ("r" * MAX_REASON, "a" * MAX_ACTOR, None),
        ("r" * (MAX_REASON + 1), "a", "--reason"),
        ("r", "a" * (MAX_ACTOR + 1), "--actor"),
        ("  ", "a", "--reason"),
    ],
)
def test_override_and_staged_acts_check_the_same_limits(
    reason: str, actor: str, refused: str | None
) -> None:
    """Override and the staged acts accept and refuse exactly at the events' limits."""
    checks: tuple[Callable[[], object], ...] = (
        lambda: check_override("eligible", reason, actor),
        lambda: check_act(reason, actor, "eligible"),
    )
    for check in checks:
        if refused is None:
            assert check() is Outcome.ELIGIBLE
        else:
            with pytest.raises(InputError, match=refused):
                check()
