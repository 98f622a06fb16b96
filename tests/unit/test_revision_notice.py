"""Revision notices: a revision of a program with a review path is told once, as previewed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from infra.eventlog.appender import append_planned
from infra.eventlog.memory_store import MemoryObjectStore
from infra.platform.clock import utc_now
from infra.platform.settings import REPO_PROGRAMS_DIR, Settings
from infra.runtime import Runtime
from schemas.base.findings import ReplayKind
from schemas.events.catalog import DecisionRevised, NoticeSent, decode_event_data
from schemas.log.cumulative_checkpoint import Keyring
from schemas.log.revision import Revision
from schemas.log.state import StreamState, apply_event
from schemas.log.streams import StreamId
from schemas.planning.draft import CommitDraft
from schemas.planning.notices import notice_due, revision_markdown
from schemas.planning.preview import preview_streams, with_order
from schemas.planning.reevaluation import notices_due, plan_revision, reevaluate_stream
from schemas.program.definition import ProgramBundle
from schemas.rules.evaluation import Outcome
from tests.support.builders import csv_bytes, seed_decided_streams, synthetic_jurisdictions
from usecases.imports import import_csv
from usecases.notices import send_notice_for
from usecases.replay import replay_store

if TYPE_CHECKING:
    from pathlib import Path

    from schemas.program.jurisdiction import Jurisdiction

PROGRAM = "jag-fy2017"
AS_OF = datetime(2017, 8, 25, tzinfo=UTC)
SENT_AT = datetime(2017, 9, 4, tzinfo=UTC)  # the review pass runs days after the revision
PREFIX = "p/"
ORDER: dict[str, Any] = {
    "id": "hypothetical-pi",
    "title": "Hypothetical preliminary injunction (test)",
    "sources": ["hypothetical (test only)"],
    "certainty": "uncertain",
    "uncertain_because": "hypothetical: no such order exists",
    "court": "N.D. Cal.",
    "case": "test",
    "issued": "2017-08-21",
    "effective_from": "2017-08-21",
    "waives": ["certify-1373", "access", "notice"],
    "scope": "nationwide",
}


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    """A memory-store runtime with four decided (ineligible) jag-fy2017 streams."""
    made = Runtime(
        Settings(s3_prefix=PREFIX, programs_dir=REPO_PROGRAMS_DIR, signing_key_file=None)
    )
    made.__dict__["store"] = MemoryObjectStore()  # the cached adapter, replaced before use
    places = synthetic_jurisdictions(4)
    registry = tmp_path / "jurisdictions.csv"
    registry.write_bytes(csv_bytes(places))
    import_csv(made, registry)
    seed_decided_streams(made.log, made.program(PROGRAM), places, workers=2)
    made.__dict__["places"] = places
    return made


def _places(runtime: Runtime) -> list[Jurisdiction]:
    places: list[Jurisdiction] = runtime.__dict__["places"]
    return places


def _after(runtime: Runtime) -> ProgramBundle:
    return with_order(runtime.program(PROGRAM), ORDER, source="order")


def _revision_event(state: StreamState, bundle: ProgramBundle, place: Jurisdiction) -> Any:  # noqa: ANN401 - the one payload
    found = reevaluate_stream(state, bundle, place, as_of=AS_OF, known_at=AS_OF)
    assert found.draft is not None
    (event,) = found.draft.payloads
    assert isinstance(event, DecisionRevised)
    return event


def _as_version_3(event: DecisionRevised) -> DecisionRevised:
    """The same revision as a version 3 event was stored (no notice, no award action)."""
    data = event.model_dump(mode="json", exclude={"notice", "award_action"})
    decoded = decode_event_data(DecisionRevised.TYPE, 3, data)
    assert isinstance(decoded, DecisionRevised)
    return decoded


def test_a_version_3_revision_wants_no_notice_and_keeps_the_award_action(
    runtime: Runtime,
) -> None:
    """An old revision folds as before: no notice due, award action untouched."""
    place = _places(runtime)[0]
    state = runtime.log.state(StreamId(program=PROGRAM, jurisdiction=place.slug))
    old = _as_version_3(_revision_event(state, _after(runtime), place))
    assert (old.notice, old.award_action) == (False, None)
    folded = apply_event(state, old, AS_OF)
    assert folded.decision is Outcome.ELIGIBLE
    assert notice_due(folded) is None
    assert (folded.award_action, folded.revision) == (state.award_action, None)


def test_a_version_4_revision_wants_its_notice_once(runtime: Runtime) -> None:
    """A told revision wants one revision notice and sets the award action; once sent, none."""
    place = _places(runtime)[0]
    state = runtime.log.state(StreamId(program=PROGRAM, jurisdiction=place.slug))
    event = _revision_event(state, _after(runtime), place)
    assert (event.notice, event.award_action) == (True, "release")
    assert DecisionRevised.VERSION == 4
    folded = apply_event(state, event, AS_OF)
    assert notice_due(folded) == (f"revision:{event.decision_id}", "revision")
    assert folded.award_action == "release"
    assert folded.revision is not None
    assert (folded.revision.before, folded.revision.after) == (Outcome.INELIGIBLE, Outcome.ELIGIBLE)
    sent = NoticeSent(
        notice_id=f"revision:{event.decision_id}",
        kind="revision",
        notice_sha256="0" * 64,
        html_sha256="0" * 64,
        notice_date=AS_OF.date(),
        answer_due=None,
        delivery="none",
    )
    assert notice_due(apply_event(folded, sent, SENT_AT)) is None


def test_a_revision_without_a_review_path_is_not_told(runtime: Runtime) -> None:
    """The same program without its review path: its revisions want no notice."""
    place = _places(runtime)[0]
    state = runtime.log.state(StreamId(program=PROGRAM, jurisdiction=place.slug))
    after = _after(runtime)
    program = after.program.model_copy(update={"review": None})
    plain = ProgramBundle(program=program, files=after.files)
    event = _revision_event(state, plain, place)
    assert (event.notice, event.award_action) == (False, None)
    assert notice_due(apply_event(state, event, AS_OF)) is None


def test_reevaluation_counts_the_notices_it_makes_due(runtime: Runtime) -> None:
    """Every told revision counts, also once the flow has dropped the drafts to save memory."""
    after = _after(runtime)
    found = [
        reevaluate_stream(
            runtime.log.state(StreamId(program=PROGRAM, jurisdiction=p.slug)),
            after,
            p,
            as_of=AS_OF,
            known_at=AS_OF,
        )
        for p in _places(runtime)
    ]
    assert notices_due(found) == len(found) == len(_places(runtime))
    assert notices_due([replace(r, draft=None) for r in found]) == len(found)
    assert notices_due([]) == 0


def _revision(**changes: Any) -> Revision:  # noqa: ANN401 - field values of any type
    values: dict[str, Any] = {
        "decision_id": "d1",
        "before": Outcome.INELIGIBLE,
        "after": Outcome.ELIGIBLE,
        "reasons": (),
        "orders_applied": ("city-of-chicago-v-sessions-pi",),
        "award_action": "release",
        "as_of": AS_OF,
    }
    return Revision(**(values | changes))


def test_the_revision_template_states_every_field(runtime: Runtime) -> None:
    """Dated the revision's day: title, now and before, reasons, orders, award action, date."""
    place = _places(runtime)[0]
    revision = _revision(
        after=Outcome.INELIGIBLE, before=Outcome.ELIGIBLE, reasons=("a condition is unmet",)
    )
    text = revision_markdown(runtime.program(PROGRAM), place, revision, AS_OF.date())
    title = runtime.program(PROGRAM).program.title
    assert text.startswith("2017-08-25\n")
    assert f"Re: {title}: revised decision" in text
    assert "it is now **ineligible** (it was eligible)." in text
    assert "- a condition is unmet\n" in text
    assert "Court orders applied: city-of-chicago-v-sessions-pi." in text
    assert "Award action: **release**." in text
    assert text.rstrip().endswith("Decided for: 2017-08-25.")
    bare = revision_markdown(
        runtime.program(PROGRAM),
        place,
        _revision(orders_applied=(), award_action=None),
        date(2017, 8, 25),
    )
    assert "Court orders applied" not in bare
    assert "Award action" not in bare


def test_the_revision_template_escapes_every_value(runtime: Runtime) -> None:
    """A name or reason with Markdown in it renders as itself, opening no markup."""
    place = _places(runtime)[0].model_copy(update={"name": "City of *Bold* [link](x)"})
    revision = _revision(reasons=("# heading", "**not bold**"))
    text = revision_markdown(runtime.program(PROGRAM), place, revision, AS_OF.date())
    assert "To: City of \\*Bold\\* \\[link\\](x)" in text
    assert "- \\# heading" in text
    assert "- \\*\\*not bold\\*\\*" in text


def test_a_programs_own_template_gets_the_revision(runtime: Runtime) -> None:
    """A program's notice template is told `kind == "revision"` and the revision's values."""
    bundle = runtime.program(PROGRAM)
    assert bundle.program.review is not None
    review = bundle.program.review.model_copy(update={"notice_template": "notice.md.j2"})
    program = bundle.program.model_copy(update={"review": review})
    source = "{{ kind }}: {{ revision.before.value }} to {{ outcome }} on {{ notice_date }}"
    own = ProgramBundle(program=program, files={**bundle.files, "notice.md.j2": source})
    text = revision_markdown(own, _places(runtime)[0], _revision(), AS_OF.date())
    assert text == "revision: ineligible to eligible on 2017-08-25"


def _plan(state: StreamState, *, after: ProgramBundle, place: Jurisdiction) -> CommitDraft | None:
    return plan_revision(state, after, place, as_of=AS_OF, known_at=AS_OF)


def _reevaluated(runtime: Runtime) -> tuple[ProgramBundle, list[StreamState]]:
    """Every stream revised by the nationwide order, as `reevaluate` appends it."""
    after = _after(runtime)
    runtime.documents.put(after.document())  # as the reevaluation flow stores it
    runtime.documents.put(runtime.program(PROGRAM).document())
    states = []
    for place in _places(runtime):
        stream = StreamId(program=PROGRAM, jurisdiction=place.slug)
        result = append_planned(
            runtime.log,
            runtime.log.state(stream),
            partial(_plan, after=after, place=place),
            time=utc_now(),
            actor="test",
        )
        assert result.written
        states.append(result.state)
    return after, states


def _notice_findings(runtime: Runtime) -> list[str]:
    report = replay_store(runtime.store, PREFIX, Keyring(keys=()), workers=2)
    return [str(f) for f in report.findings if f.kind in set(ReplayKind) and "notice" in str(f)]


def test_the_sender_sends_the_previewed_bytes_once_and_replay_agrees(runtime: Runtime) -> None:
    """Preview's drafts are the stored notices, sent days later; a second pass sends none."""
    places = _places(runtime)
    before = runtime.program(PROGRAM)
    pairs: list[tuple[StreamState, Jurisdiction | None]] = [
        (runtime.log.state(StreamId(program=PROGRAM, jurisdiction=p.slug)), p) for p in places
    ]
    shown = preview_streams(
        before, _after(runtime), "hypothetical-pi", pairs, as_of=AS_OF, known_at=AS_OF
    )
    drafts = {row["jurisdiction"]: row["notice_draft"] for row in shown.changed}
    assert sorted(drafts) == sorted(p.slug for p in places)
    after, states = _reevaluated(runtime)
    for place, state in zip(places, states, strict=True):
        sent = send_notice_for(runtime, after, place, state, as_of=SENT_AT, flow_run_id=None)
        assert sent.written
        (notice,) = [e for _, e in _events(runtime, place) if isinstance(e, NoticeSent)]
        assert (notice.kind, notice.notice_date) == ("revision", AS_OF.date())
        stored = runtime.documents.get(notice.notice_sha256)
        assert stored == drafts[place.slug].encode("utf-8")
        again = send_notice_for(runtime, after, place, sent.state, as_of=SENT_AT, flow_run_id=None)
        assert not again.written
    assert _notice_findings(runtime) == []


def test_a_revision_notice_none_was_due_for_is_a_finding(runtime: Runtime) -> None:
    """A revision notice recorded where no revision wanted one: replay says so."""
    place = _places(runtime)[0]
    stream = StreamId(program=PROGRAM, jurisdiction=place.slug)
    text = b"Your decision was revised."
    forged = NoticeSent(
        notice_id="revision:forged",
        kind="revision",
        notice_sha256=runtime.documents.put(text),
        html_sha256=runtime.documents.put(text),
        notice_date=AS_OF.date(),
        answer_due=None,
        delivery="none",
    )
    append_planned(
        runtime.log,
        runtime.log.state(stream),
        lambda _s: CommitDraft("notice:revision:forged", (forged,)),
        time=utc_now(),
        actor="insider",
    )
    findings = _notice_findings(runtime)
    assert any("no revision notice was due here" in f for f in findings), findings


def _events(runtime: Runtime, place: Jurisdiction) -> list[tuple[datetime, Any]]:
    from schemas.log.state import decoded_events  # noqa: PLC0415 - only here

    stream = StreamId(program=PROGRAM, jurisdiction=place.slug)
    return [pair for commit in runtime.log.read_stream(stream) for pair in decoded_events(commit)]


def test_reevaluate_says_how_many_notices_are_due_and_what_sends_them() -> None:
    """`reevaluate --json` names the count and the command; with none due, no command."""
    from cli.reevaluate import report_document  # noqa: PLC0415 - the CLI only here
    from flows.reevaluate import ReevaluationReport  # noqa: PLC0415

    fields: dict[str, Any] = {
        "program": PROGRAM,
        "as_of": AS_OF,
        "known_at": AS_OF,
        "dry_run": False,
        "program_sha256": "0" * 64,
        "rule_set_version": 1,
        "counts": {},
        "changes": [],
        "overridden": [],
        "outcomes_sha256": "0" * 64,
        "run_record_seq": 3,
    }
    told = report_document(ReevaluationReport(**fields, notices_due=27))
    assert told["notices_due"] == 27
    assert told["notices_sent_by"].startswith(f"grantreview review --program {PROGRAM} --all")
    quiet = report_document(ReevaluationReport(**fields))
    assert (quiet["notices_due"], quiet["notices_sent_by"]) == (0, None)
