"""The decision in force carries two dates: the one it is for and the one the log recorded it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas.events.catalog import DecisionOverridden
from schemas.log.state import StreamState
from schemas.log.state_snapshot import IndexedStream, StateSnapshot
from schemas.planning.draft import CommitDraft
from schemas.planning.stages import plan_determination
from schemas.program.definition import ProgramBundle
from schemas.program.response import AnswerValue
from schemas.rules.evaluation import Outcome
from tests.unit.test_stages import _apply, _at, _decide, _lettered, _respond, person

__all__ = ["person"]  # the fixture, imported for pytest

TODAY = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
"""The recorded time of acts entered today for a 2017 case."""


def _preliminary(bundle: ProgramBundle) -> StreamState:
    """Stockton answered on 08-10; the automatic preliminary decision is for 08-20."""
    state = _respond(_lettered(bundle), AnswerValue.NO, _at(8, 10))
    return _apply(state, _decide(state, bundle, _at(8, 20)), _at(8, 20))


def _determined(bundle: ProgramBundle) -> StreamState:
    """The window closed; a person determines today for 2017-09-11."""
    state = _preliminary(bundle)
    draft = plan_determination(
        state,
        bundle.program,
        decision=Outcome.INELIGIBLE,
        reason="no answer",
        actor="ojp-1",
        as_of=_at(9, 11),
    )
    return _apply(state, draft, TODAY)


def test_an_automatic_decision_is_for_its_as_of(person: ProgramBundle) -> None:
    """Valid time: the evaluation's as_of; recorded time: its commit's."""
    state = _preliminary(person)
    assert (state.decided_for, state.decision_recorded) == (_at(8, 20), _at(8, 20))


def test_a_determination_keeps_the_date_it_is_for_apart_from_its_recording(
    person: ProgramBundle,
) -> None:
    """A 2017 determination entered today: decided for 2017, recorded today."""
    state = _determined(person)
    assert (state.decided_for, state.decision_recorded) == (_at(9, 11), TODAY)


def test_an_override_outranks_and_a_later_determination_does_not_move_its_dates(
    person: ProgramBundle,
) -> None:
    """An override carries no as_of: both dates are its recording; it stays in force."""
    state = _preliminary(person)
    overridden = DecisionOverridden(
        decision=Outcome.ELIGIBLE, reason="court order", actor="ojp-1", previous=Outcome.INELIGIBLE
    )
    state = _apply(state, CommitDraft("override:1", (overridden,)), _at(8, 25))
    assert (state.decided_for, state.decision_recorded) == (_at(8, 25), _at(8, 25))
    draft = plan_determination(
        state,
        person.program,
        decision=Outcome.INELIGIBLE,
        reason="no answer",
        actor="ojp-1",
        as_of=_at(9, 11),
    )
    state = _apply(state, draft, TODAY)
    assert state.decision_in_force is Outcome.ELIGIBLE
    assert (state.decided_for, state.decision_recorded) == (_at(8, 25), _at(8, 25))


def test_the_index_keeps_both_dates(person: ProgramBundle) -> None:
    """Read back through the index, the state has the same two dates."""
    state = _determined(person)
    back = IndexedStream.of(state).state(person.program.id)
    assert (back.decided_for, back.decision_recorded) == (_at(9, 11), TODAY)


def test_a_snapshot_without_the_dates_is_rebuilt_not_read_undated(person: ProgramBundle) -> None:
    """A snapshot written before the dates existed does not parse (the index rebuilds)."""
    snapshot = StateSnapshot.of(person.program.id, [_determined(person)])
    assert StateSnapshot.model_validate_json(snapshot.to_bytes()) == snapshot
    old = json.loads(snapshot.to_bytes())
    for entry in old["streams"]:
        del entry["decided_for"], entry["decision_recorded"]
    with pytest.raises(ValidationError, match="decided_for"):
        StateSnapshot.model_validate_json(json.dumps(old))
