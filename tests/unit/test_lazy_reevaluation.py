"""Reevaluation evaluates lazily: revisions are handed to the appends as they are found."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from prefect.utilities.collections import visit_collection

from flows.chunks import guided
from flows.reevaluate import Listed
from infra.eventlog.log import EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.files.programs import load_program
from infra.index.state_index import load_states
from schemas.log.state import StreamState
from schemas.planning.reevaluation import Findings, RevisionStatus, reevaluate_stream
from schemas.program.jurisdiction import Jurisdiction
from tests.support.builders import seed_decided_streams, synthetic_jurisdictions

ROOT = Path(__file__).resolve().parents[2]
DURING = datetime(2018, 2, 1, tzinfo=UTC)


def test_revisions_are_yielded_before_later_streams_are_evaluated() -> None:
    """A revision reaches the appends before the streams after it are evaluated."""
    bundle = load_program(ROOT / "tests" / "fixtures" / "programs" / "ca-order", "psp-2017")
    log = EventLog(MemoryObjectStore(), "p/")
    places = synthetic_jurisdictions(60)
    seed_decided_streams(log, bundle, places, workers=4)
    by_slug = {place.slug: place for place in places}
    states = load_states(log, "psp-2017").states
    pairs: list[tuple[StreamState, Jurisdiction | None]] = [
        (state, by_slug[slug]) for slug, state in states.items()
    ]
    expected = {
        slug: reevaluate_stream(state, bundle, by_slug[slug], as_of=DURING, known_at=DURING)
        for slug, state in states.items()
    }
    revised = [slug for slug, found in expected.items() if found.status is RevisionStatus.REVISED]
    assert 2 <= len(revised) < len(pairs)  # the fixture's order revises some, not all

    done: list[int] = []
    findings = Findings(pairs, bundle, DURING, DURING, on_done=done.append)
    revisions = findings.revisions()
    first = next(revisions)
    assert first.state.stream.jurisdiction == revised[0]
    assert findings.evaluated == list(states).index(revised[0]) + 1  # nothing past it yet
    assert first.draft == expected[revised[0]].draft
    assert first.found.draft is None  # the report's finding holds no commit

    assert sum(done) == findings.evaluated - 1  # the streams before it: nothing to append
    rest = list(revisions)
    assert [item.state.stream.jurisdiction for item in rest] == revised[1:]
    assert findings.evaluated == len(pairs)
    assert list(findings.results) == list(states)
    assert {slug: found.status for slug, found in findings.results.items()} == {
        slug: found.status for slug, found in expected.items()
    }
    assert all(found.draft is None for found in findings.results.values())
    assert findings.estimate() == len(revised)
    assert sum(done) == len(pairs) - len(revised)


def test_chunks_are_taken_as_they_come_and_shrink_towards_the_end() -> None:
    """A chunk is read only when asked for, and each is ~1/parts of what remains (100..1000)."""
    taken: list[int] = []

    def numbers() -> Iterator[int]:
        for number in range(5_000):
            taken.append(number)
            yield number

    chunks = guided(numbers(), lambda: 5_000, parts=4)
    assert len(next(chunks)) == 1_000
    assert len(taken) == 1_000  # the next chunk is not read ahead
    sizes = [1_000, *(len(chunk) for chunk in chunks)]
    assert sum(sizes) == 5_000
    assert sizes[:2] == [1_000, 1_000]  # 1/4 of what remains, at most 1,000
    assert sizes == sorted(sizes, reverse=True)  # shrinking towards the end
    assert all(100 <= size <= 1_000 for size in sizes[:-1])
    assert sizes[-2] == 100  # the tail is small chunks, not one large one
    assert list(guided(iter(()), lambda: 0, parts=4)) == []


def test_prefect_does_not_walk_a_reports_findings() -> None:
    """A flow's return value is walked for futures; a report's findings are one item to it."""
    findings = [("place", n, ("reason",) * 3) for n in range(1_000)]
    visited: list[object] = []
    visit_collection({"changes": Listed(findings)}, visited.append)
    assert len(visited) == 3  # the dict, its key and the box: not 1,000 findings and their parts
    visit_collection({"changes": findings}, visited.append)
    assert len(visited) > 1_000  # what a plain list costs
    listed = Listed(findings)
    assert listed == findings
    assert list(listed) == findings
    assert listed[3] == findings[3]
    assert len(listed) == 1_000
    assert not Listed()
