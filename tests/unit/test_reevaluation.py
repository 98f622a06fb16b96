"""Reevaluation's pure core and the state index, on the in-memory object store."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.eventlog.log import EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.files.programs import load_program
from infra.index.state_index import index_problems, load_states, write_snapshot
from schemas.base.canonical import canonical_json
from schemas.events.catalog import DecisionOverridden, DecisionRevised
from schemas.log.commit import Commit, parse_commit, seal_commit
from schemas.log.state import StreamState, advance, fold
from schemas.log.streams import StreamId
from schemas.planning.reevaluation import (
    RevisionStatus,
    StreamReevaluation,
    outcomes_document,
    reevaluate_stream,
    run_record,
)
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from schemas.rules.evaluation import Outcome
from tests.support.builders import seed_decided_streams, synthetic_jurisdictions

ROOT = Path(__file__).resolve().parents[2]
BEFORE = datetime(2017, 12, 1, tzinfo=UTC)
DURING = datetime(2018, 2, 1, tzinfo=UTC)
AFTER = datetime(2018, 8, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def bundle() -> ProgramBundle:
    """psp-2017 with a hypothetical California order in force 2018-01-01 to 2018-07-01."""
    return load_program(ROOT / "tests" / "fixtures" / "programs" / "ca-order", "psp-2017")


@pytest.fixture
def seeded(bundle: ProgramBundle) -> tuple[EventLog, list[Jurisdiction]]:
    """Twelve decided (ineligible) streams in a memory log."""
    log = EventLog(MemoryObjectStore(), "p/")
    places = synthetic_jurisdictions(12)
    assert seed_decided_streams(log, bundle, places, workers=4) == 12
    return log, places


def _results(
    log: EventLog, bundle: ProgramBundle, places: list[Jurisdiction], as_of: datetime
) -> dict[str, StreamReevaluation]:
    states = load_states(log, "psp-2017").states
    by_slug = {place.slug: place for place in places}
    return {
        slug: reevaluate_stream(state, bundle, by_slug[slug], as_of=as_of, known_at=as_of)
        for slug, state in states.items()
    }


def _seal(state: StreamState, found: StreamReevaluation) -> Commit:
    assert found.draft is not None
    return seal_commit(
        stream=state.stream,
        seq=state.head_seq + 1,
        prev=state.head_hash,
        idempotency_key=found.draft.idempotency_key,
        payloads=found.draft.payloads,
        time=DURING,
        actor="test",
    )


def _apply(log: EventLog, state: StreamState, found: StreamReevaluation) -> StreamState:
    commit = _seal(state, found)
    assert log.append(commit)
    return fold(state.stream, [commit], state)


def test_unchanged_before_the_order(
    seeded: tuple[EventLog, list[Jurisdiction]], bundle: ProgramBundle
) -> None:
    """Before the order's window opens, every decision is unchanged and nothing is drafted."""
    log, places = seeded
    results = _results(log, bundle, places, BEFORE)
    assert {r.status for r in results.values()} == {RevisionStatus.UNCHANGED}
    assert all(r.draft is None for r in results.values())


def test_order_flips_exactly_its_scope_and_back(
    seeded: tuple[EventLog, list[Jurisdiction]], bundle: ProgramBundle
) -> None:
    """The order flips exactly the California streams to eligible, and its end flips them back."""
    log, places = seeded
    california = {p.slug for p in places if p.state == "CA"}
    assert california
    assert len(california) < len(places)
    during = _results(log, bundle, places, DURING)
    revised = {slug for slug, r in during.items() if r.status is RevisionStatus.REVISED}
    assert revised == california
    states = load_states(log, "psp-2017").states
    for slug in revised:
        assert during[slug].after is Outcome.ELIGIBLE
        draft = during[slug].draft
        assert draft is not None
        event = draft.payloads[0]
        assert isinstance(event, DecisionRevised)
        assert event.orders_applied == ("hypothetical-ca-order",)
        assert event.before is Outcome.INELIGIBLE
        _apply(log, states[slug], during[slug])
    after = _results(log, bundle, places, AFTER)
    flipped_back = {slug for slug, r in after.items() if r.status is RevisionStatus.REVISED}
    assert flipped_back == california
    assert {after[slug].after for slug in california} == {Outcome.INELIGIBLE}


def test_override_is_reported_never_revised(
    seeded: tuple[EventLog, list[Jurisdiction]], bundle: ProgramBundle
) -> None:
    """A human override makes a would-be revision a reported difference with no draft."""
    log, places = seeded
    place = next(p for p in places if p.state == "CA")
    stream = StreamId(program="psp-2017", jurisdiction=place.slug)
    state = log.state(stream)
    override = DecisionOverridden(
        decision=Outcome.ELIGIBLE,
        reason="counsel's review",
        actor="a.person",
        previous=Outcome.INELIGIBLE,
    )
    log.append(
        seal_commit(
            stream=stream,
            seq=1,
            prev=state.head_hash,
            idempotency_key="override",
            payloads=(override,),
            time=BEFORE,
            actor="a.person",
        )
    )
    found = reevaluate_stream(log.state(stream), bundle, place, as_of=DURING, known_at=DURING)
    assert found.status is RevisionStatus.OVERRIDDEN
    assert found.draft is None
    assert found.after is Outcome.ELIGIBLE


def test_revision_key_follows_the_head(
    seeded: tuple[EventLog, list[Jurisdiction]], bundle: ProgramBundle
) -> None:
    """Planning twice against one head gives one key; a later head gives another."""
    log, places = seeded
    place = next(p for p in places if p.state == "CA")
    state = log.state(StreamId(program="psp-2017", jurisdiction=place.slug))
    first = reevaluate_stream(state, bundle, place, as_of=DURING, known_at=DURING)
    again = reevaluate_stream(state, bundle, place, as_of=DURING, known_at=DURING)
    assert first.draft is not None
    assert again.draft is not None
    assert first.draft.idempotency_key == again.draft.idempotency_key
    moved = _apply(log, state, first)
    back = reevaluate_stream(moved, bundle, place, as_of=AFTER, known_at=AFTER)
    assert back.draft is not None
    assert back.draft.idempotency_key != first.draft.idempotency_key


def test_not_due_and_awaiting_review(bundle: ProgramBundle) -> None:
    """No response before the deadline is not due; undecided evidence is left to review."""
    place = synthetic_jurisdictions(1)[0]
    empty = StreamState(stream=StreamId(program="psp-2017", jurisdiction=place.slug))
    early = datetime(2017, 8, 10, tzinfo=UTC)
    assert reevaluate_stream(empty, bundle, place, as_of=early, known_at=early).status is (
        RevisionStatus.NOT_DUE
    )
    late = reevaluate_stream(empty, bundle, place, as_of=DURING, known_at=DURING)
    assert late.status is RevisionStatus.AWAITING_REVIEW


def test_outcome_list_and_run_record(
    seeded: tuple[EventLog, list[Jurisdiction]], bundle: ProgramBundle
) -> None:
    """The outcome list ignores result order, and the run record counts every status."""
    log, places = seeded
    results = list(_results(log, bundle, places, DURING).values())
    document = outcomes_document(bundle, results)
    assert document == outcomes_document(bundle, list(reversed(results)))
    assert document == canonical_json(json.loads(document))  # the unwalked form is canonical
    record = run_record(bundle, results, as_of=DURING, known_at=DURING, outcomes_sha256="0" * 64)
    assert record.streams == 12
    assert record.revised + record.unchanged == 12
    assert record.rule_set_version == 1


def test_index_reads_only_moved_streams(
    seeded: tuple[EventLog, list[Jurisdiction]], bundle: ProgramBundle
) -> None:
    """After a snapshot only streams whose head moved are read; the index checks out."""
    log, places = seeded
    cold = load_states(log, "psp-2017")
    assert (cold.indexed, cold.read_fully, cold.moved) == (0, 12, 0)
    write_snapshot(log, "psp-2017", cold.states.values())
    warm = load_states(log, "psp-2017")
    assert (warm.indexed, warm.read_fully, warm.moved) == (12, 0, 0)
    assert {s: (st.head_seq, st.head_hash) for s, st in warm.states.items()} == {
        s: (st.head_seq, st.head_hash) for s, st in cold.states.items()
    }
    place = next(p for p in places if p.state == "CA")
    found = reevaluate_stream(warm.states[place.slug], bundle, place, as_of=DURING, known_at=DURING)
    moved_state = _apply(log, warm.states[place.slug], found)
    later = load_states(log, "psp-2017")
    assert (later.read_fully, later.moved) == (0, 1)
    assert later.states[place.slug].head_seq == moved_state.head_seq
    assert later.states[place.slug].decision is Outcome.ELIGIBLE
    assert index_problems(log, "psp-2017") == []


def test_index_agrees_with_the_fold(
    seeded: tuple[EventLog, list[Jurisdiction]],
) -> None:
    """Every state read through the index equals the fold of its stream (bar the evaluation)."""
    log, _ = seeded
    write_snapshot(log, "psp-2017", load_states(log, "psp-2017").states.values())
    warm = load_states(log, "psp-2017").states
    for slug, state in warm.items():
        full = log.state(StreamId(program="psp-2017", jurisdiction=slug))
        assert state.head_hash == full.head_hash
        assert state.decision == full.decision
        assert state.reasons == full.reasons
        assert state.response == full.response
        assert state.step == full.step
        assert state.idempotency_keys == full.idempotency_keys


def test_a_revision_advanced_in_memory_matches_the_stored_commit(
    seeded: tuple[EventLog, list[Jurisdiction]], bundle: ProgramBundle
) -> None:
    """The appender's state after a revision is the one a reader folds from the log."""
    log, places = seeded
    place = next(p for p in places if p.state == "CA")
    state = load_states(log, "psp-2017").states[place.slug]
    found = reevaluate_stream(state, bundle, place, as_of=DURING, known_at=DURING)
    assert found.draft is not None
    commit = _seal(state, found)
    advanced = advance(state, commit.head, found.draft.payloads)
    assert advanced == fold(state.stream, [parse_commit(commit.to_bytes())], state)
    assert advanced.decision is not state.decision
    assert advanced.evaluation is not None
    lean = advance(state, commit.head, found.draft.payloads, keep_evaluation=False)
    assert lean == dataclasses.replace(advanced, evaluation=None)  # all else the same
