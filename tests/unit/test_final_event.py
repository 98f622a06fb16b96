"""`grantreview.decision.final`: its content, and which passes carry a final to emit (#23)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from prefect.states import Failed

from flows.determine import determine
from flows.run_names import act_run_name
from schemas.base.errors import InputError
from schemas.log.final_record import FinalRecord, final_record
from schemas.log.streams import StreamId
from tasks import decision_events
from tasks.decision_events import DECISION_FINAL, final_event
from tasks.review import Pass, advance_chunk
from tests.unit.test_stage_replay import Walk, determined
from tests.unit.test_stage_replay import runtime as staged_runtime
from usecases.stream_outcome import StreamOutcome

if TYPE_CHECKING:
    from pathlib import Path

    from infra.runtime import Runtime
    from schemas.program.jurisdiction import Jurisdiction

runtime = staged_runtime  # the staged fixture, under the name the tests ask for
FINAL = FinalRecord(
    decision="ineligible",
    award_action="withhold",
    determined_by="dora",
    approved_by=("dan",),
    decided_for=datetime(2018, 8, 6, tzinfo=UTC),
    recorded_at=datetime(2026, 12, 6, 9, tzinfo=UTC),
    seq=7,
)


def test_the_final_event_names_decision_award_people_and_both_dates() -> None:
    """The payload says everything a notification needs; the name reads for a person."""
    event = final_event("jag-fy2018", "JAG FY2018", "chicago-il", "Chicago, IL", FINAL, "s3://b/")
    assert event["event"] == DECISION_FINAL
    assert event["resource"]["prefect.resource.name"] == (
        "Chicago, IL: final ineligible, award withhold (jag-fy2018)"
    )
    assert event["resource"]["grantreview.log"] == "s3://b/"
    assert event["payload"] == {
        "program": "jag-fy2018",
        "jurisdiction": "chicago-il",
        "jurisdiction_name": "Chicago, IL",
        "stage": "final",
        "decision": "ineligible",
        "award_action": "withhold",
        "determined_by": "dora",
        "approved_by": ["dan"],
        "decided_for": "2018-08-06T00:00:00.000000Z",
        "recorded_at": "2026-12-06T09:00:00.000000Z",
        "seq": 7,
    }


def test_a_name_with_control_characters_is_shown_inert() -> None:
    """A jurisdiction name from an import cannot write escape sequences into the UI's feed."""
    event = final_event("p", "P", "x-ca", "X\x1b[31m", FINAL, "s3://b/")
    assert "\x1b" not in event["resource"]["prefect.resource.name"]


def test_only_outcomes_made_final_in_the_run_emit_a_final(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream decided earlier, or only preliminarily, emits no final event."""
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(decision_events, "emit_event", lambda **kw: sent.append(kw))
    monkeypatch.setattr(decision_events, "_location", lambda: "s3://b/")

    class _Bundle:
        class program:  # noqa: N801 - the attribute path the task reads
            title = "P"

    class _Runtime:
        def program(self, _program: str) -> type[_Bundle]:
            return _Bundle

    monkeypatch.setattr(decision_events, "get_runtime", _Runtime)

    def outcome(slug: str, *, now: bool, final: FinalRecord | None = None) -> StreamOutcome:
        return StreamOutcome(
            slug, "decided", "ineligible", (), 1, 3, "h", decided_now=now, final=final
        )

    outcomes = [
        outcome("a-ca", now=True, final=FINAL),
        outcome("b-ca", now=True),
        outcome("c-ca", now=False),
    ]
    decision_events.emit_decision_events.fn("p", outcomes)
    finals = [e["payload"]["jurisdiction"] for e in sent if e["event"] == DECISION_FINAL]
    assert finals == ["a-ca"]


def test_a_review_pass_carries_the_final_it_made_and_only_that(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pass that closes the window carries the final; the pass after it does not."""
    monkeypatch.setattr("tasks.review.get_runtime", lambda: runtime)
    auto = Walk(runtime, "staged-auto", "baltimore-md", tmp_path)
    auto.letter()
    auto.respond("no", datetime(2017, 8, 10, 12, tzinfo=UTC))

    def run(day: int, month: int = 8) -> StreamOutcome:
        moment = datetime(2017, month, day, tzinfo=UTC)
        row: Jurisdiction = auto.row
        (outcome,) = advance_chunk(
            "staged-auto", [row], moment, moment, steps=Pass.REVIEW, flow_run_id=None
        )
        return outcome

    assert run(11).final is None  # the preliminary decision
    closing = run(5, month=9)
    assert closing.final is not None
    assert (closing.final.decision, closing.final.award_action) == ("ineligible", "withhold")
    assert closing.final.determined_by is None  # automatic
    assert run(6, month=9).final is None  # already final: nothing new to tell


def test_a_determination_records_its_commit_and_recorded_time(
    runtime: Runtime, tmp_path: Path
) -> None:
    """The final's seq is the determination's commit, its recorded time that commit's time."""
    from schemas.rules.evaluation import Outcome  # noqa: PLC0415

    determined(runtime, tmp_path, ("not_applicable", "yes"), Outcome.ELIGIBLE)
    stream = StreamId(program="staged-person", jurisdiction="stockton-ca")
    state = runtime.log.state(stream)
    final = final_record(state)
    assert final is not None
    (commit,) = [c for c in runtime.log.read_stream(stream) if c.seq == final.seq]
    assert commit.idempotency_key.startswith("determination:")
    assert final.recorded_at == commit.time
    assert final.decided_for == datetime(2017, 9, 11, 12, tzinfo=UTC)


def test_a_refusal_keeps_its_error_for_an_in_process_caller() -> None:
    """The Failed state a refused run ends with carries the InputError the CLI re-raises."""
    state: Any = determine.fn("psp-2017", "stockton-ca", "maybe", "why", "ojp-1")  # type: ignore[arg-type] # a bad decision, as a form could send
    assert isinstance(state, type(Failed()))
    assert isinstance(state.data, InputError)
    assert "--decision must be eligible or ineligible" in str(state.data)


def test_an_approval_run_is_named_for_its_jurisdiction_and_act() -> None:
    """`approve stockton-ca psp-2017 (act …)`; started without a jurisdiction, the act alone."""
    parameters = {"program": "psp-2017", "act_id": "0123456789abcdef", "actor": "dan"}
    named = act_run_name("approve", {**parameters, "jurisdiction": "stockton-ca"})
    assert named == "approve stockton-ca psp-2017 (act 0123456789ab)"
    assert act_run_name("reject", parameters) == "reject act 0123456789ab psp-2017"
