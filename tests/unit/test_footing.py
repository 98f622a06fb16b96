"""Facts as data: orders carry sources and certainty; decisions record the facts they relied on."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.documents import DocumentStore
from infra.eventlog.log import EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.files.programs import load_program
from infra.files.report_html import render_report
from infra.platform.settings import REPO_PROGRAMS_DIR
from schemas.events.catalog import JurisdictionsRegistered, LetterSent
from schemas.log.commit import seal_commit
from schemas.log.commit_signature import signer_keyring
from schemas.log.cumulative_checkpoint import Signer
from schemas.log.state import StreamState, fold
from schemas.log.state_snapshot import IndexedStream
from schemas.log.streams import StreamId
from schemas.planning.draft import decision_payloads
from schemas.planning.reevaluation import resting_on_uncertain
from schemas.planning.review import plan_response
from schemas.program.definition import ProgramBundle, ProgramError, parse_program
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import parse_response
from schemas.rules.engine import evaluate
from usecases.replay import replay_store

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from schemas.rules.evaluation import Evaluation

PROGRAM = "jag-fy2017"
PHILADELPHIA = Jurisdiction(
    slug="philadelphia-pa", name="Philadelphia, PA", state="PA", geoid="4260000"
)
SPRINGFIELD = Jurisdiction(
    slug="springfield-il", name="Springfield, IL", state="IL", geoid="1772000"
)
DECIDED = datetime(2017, 12, 1, tzinfo=UTC)
"""Philadelphia's preliminary injunction (an uncertain fact) is in force for it alone."""
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(3, 35))))
KEYRING = signer_keyring(SIGNER)
FOOTING_KEYS = ("sources", "certainty", "uncertain_because")


def _jag() -> ProgramBundle:
    return load_program(REPO_PROGRAMS_DIR, PROGRAM)


def _without_footing(bundle: ProgramBundle) -> ProgramBundle:
    """The program document as stored before facts carried sources and certainty."""
    document = json.loads(bundle.document())
    program = document["program"]
    for name in ("rule_sets", "court_orders", "notices"):
        for entry in program[name]:
            for key in FOOTING_KEYS:
                entry.pop(key, None)
    return ProgramBundle.from_document(json.dumps(document).encode())


def _evaluate(bundle: ProgramBundle, jurisdiction: Jurisdiction) -> Evaluation:
    return evaluate(
        bundle, jurisdiction, None, response_sha256=None, as_of=DECIDED, known_at=DECIDED
    )


def _program_folder(tmp_path: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    """A copy of jag-fy2017 with `change` applied to its parsed YAML; returns programs/."""
    root = tmp_path / "programs"
    shutil.copytree(REPO_PROGRAMS_DIR / PROGRAM, root / PROGRAM)
    path = root / PROGRAM / "program.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["court_orders"][2].pop("sources"),
            "court_orders[2] (philadelphia-v-sessions-pi): sources: at least one source",
        ),
        (
            lambda d: d["court_orders"][0].update(sources=[]),
            "court_orders[0] (chicago-v-sessions-pi): sources: at least one source",
        ),
        (
            lambda d: d["notices"][1].pop("uncertain_because") and d["notices"][1].pop("certainty"),
            "notices[1] (doj-non-enforcement-2020): certainty: documented or uncertain is required",
        ),
    ],
)
def test_program_folder_refuses_an_order_without_footing(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], expected: str
) -> None:
    """An order or notice without sources or certainty is refused, naming the entry."""
    root = _program_folder(tmp_path, change)
    with pytest.raises(ProgramError, match=r"program\.yaml: ") as raised:
        load_program(root, PROGRAM)
    assert expected in str(raised.value)


@pytest.mark.parametrize(
    ("footing", "expected"),
    [
        ({"certainty": "uncertain"}, "certainty: uncertain needs uncertain_because"),
        (
            {"certainty": "documented", "uncertain_because": "x"},
            "uncertain_because is only for certainty: uncertain",
        ),
        ({"certainty": "likely"}, "certainty"),
    ],
)
def test_certainty_is_documented_or_uncertain_with_a_reason(
    footing: dict[str, str], expected: str
) -> None:
    """`uncertain` needs a reason, `documented` takes none, and nothing else is a certainty."""
    data = json.loads(_jag().document())["program"]
    order = data["court_orders"][0]
    for key in FOOTING_KEYS:
        order.pop(key, None)
    order.update(footing, sources=["a citation"])
    with pytest.raises(ProgramError, match=expected):
        parse_program(data, source="program.yaml")


def test_a_decision_that_used_an_uncertain_fact_says_so_and_one_that_did_not_does_not() -> None:
    """Philadelphia's names its uncertain injunction and source; Springfield's does not."""
    philadelphia = _evaluate(_jag(), PHILADELPHIA)
    (fact,) = (f for f in philadelphia.uncertain_facts if f.id == "philadelphia-v-sessions-pi")
    assert fact.applied
    line = fact.describe()
    assert line.startswith(
        "relies on an uncertain fact: court order philadelphia-v-sessions-pi (applied): "
        "the order's text names the 1373 certification only"
    )
    assert "source: City of Philadelphia v. Sessions, E.D. Pa. 17-3894" in line
    springfield = _evaluate(_jag(), SPRINGFIELD)
    assert springfield.uncertain_facts == ()
    assert [(f.id, f.applied) for f in springfield.footing] == [
        ("version 1", True),
        ("chicago-v-sessions-pi", True),
    ]


def test_an_order_reaching_the_jurisdiction_but_not_applied_is_recorded_as_checked() -> None:
    """Philadelphia's later summary judgment reaches it and was checked: not yet in force."""
    facts = {fact.id: fact for fact in _evaluate(_jag(), PHILADELPHIA).footing}
    assert not facts["philadelphia-v-sessions-sj"].applied
    assert "checked, did not apply" in facts["philadelphia-v-sessions-sj"].describe()
    assert "uscm-evanston-pi" not in facts  # Evanston's order never reaches Philadelphia


def test_the_old_program_document_keeps_its_hash_and_gives_no_footing() -> None:
    """A document stored before footing existed parses, keeps its bytes, and records none."""
    legacy = _without_footing(_jag())
    assert legacy.sha256 != _jag().sha256
    stored = json.loads(legacy.document())["program"]
    entries = [*stored["rule_sets"], *stored["court_orders"], *stored["notices"]]
    assert not [key for entry in entries for key in FOOTING_KEYS if key in entry]
    assert ProgramBundle.from_document(legacy.document()).sha256 == legacy.sha256
    evaluation = _evaluate(legacy, PHILADELPHIA)
    assert evaluation.footing == ()
    assert "footing" not in evaluation.model_dump(mode="json", exclude_defaults=True)


def _response(jurisdiction: Jurisdiction) -> bytes:
    return json.dumps(
        {
            "jurisdiction": jurisdiction.slug,
            "program": PROGRAM,
            "received_at": "2017-09-01T12:00:00Z",
            "respondent": {"name": "A. Counsel", "title": "City Solicitor"},
            "answers": {
                "section_1373": {"answer": "no"},
                "facility_access": {"answer": "no"},
                "release_notice": {"answer": "no"},
            },
        }
    ).encode()


def _decided_log(bundle: ProgramBundle) -> MemoryObjectStore:
    """Philadelphia and Springfield, each with a letter, a response and a decision."""
    store = MemoryObjectStore()
    log, documents = EventLog(store, ""), DocumentStore(store, "")
    documents.put(bundle.document())
    when = datetime(2017, 7, 25, 9, tzinfo=UTC)
    registered = JurisdictionsRegistered(rows=(PHILADELPHIA, SPRINGFIELD), source_sha256="0" * 64)
    registry = seal_commit(
        stream=StreamId.registry(), seq=0, prev="0" * 64, idempotency_key="import",
        payloads=[registered], time=when, actor="test", signer=SIGNER,
    )  # fmt: skip
    assert log.append(registry)
    for jurisdiction in (PHILADELPHIA, SPRINGFIELD):
        stream = StreamId(program=PROGRAM, jurisdiction=jurisdiction.slug)
        state = StreamState(stream=stream)
        raw = _response(jurisdiction)
        sha = documents.put(raw)
        letter = LetterSent(
            letter_sha256="1" * 64, letter_date=when.date(), response_due=DECIDED.date(),
            delivery="none",
        )  # fmt: skip
        drafted = plan_response(state, parse_response(raw), sha)
        assert drafted is not None
        evaluation = evaluate(
            bundle, jurisdiction, parse_response(raw), response_sha256=sha, as_of=DECIDED,
            known_at=DECIDED,
        )  # fmt: skip
        steps = (("letter", (letter,)), (drafted.idempotency_key, drafted.payloads))
        for key, payloads in (*steps, (f"decision:{sha}", decision_payloads(evaluation))):
            commit = seal_commit(
                stream=stream, seq=state.head_seq + 1, prev=state.head_hash,
                idempotency_key=key, payloads=payloads, time=DECIDED, actor="test",
                signer=SIGNER,
            )  # fmt: skip
            assert log.append(commit)
            state = fold(stream, [commit], state)
    write_checkpoint(log, SIGNER, time=DECIDED)
    return store


def _uncertain_lines(store: MemoryObjectStore) -> dict[str, list[str]]:
    report = replay_store(store, "", KEYRING, workers=2)
    assert report.ok, report.findings
    return {
        item.jurisdiction: [
            entry.summary
            for entry in item.timeline
            if "relies on an uncertain fact" in entry.summary
        ]
        for item in report.jurisdictions
    }


def test_replay_report_shows_the_uncertain_fact_only_where_it_was_used() -> None:
    """The report's timeline names the uncertain injunction for Philadelphia, not Springfield."""
    store = _decided_log(_jag())
    lines = _uncertain_lines(store)
    assert lines["springfield-il"] == []
    (line,) = lines["philadelphia-pa"]
    assert "court order philadelphia-v-sessions-pi (applied)" in line
    html = render_report(replay_store(store, "", KEYRING, workers=2))
    assert html.count("relies on an uncertain fact: court order philadelphia-v-sessions-pi") == 1


def test_evaluations_under_the_old_program_document_still_replay_clean() -> None:
    """A log decided under the document without footing replays against that stored copy."""
    assert _uncertain_lines(_decided_log(_without_footing(_jag()))) == {
        "philadelphia-pa": [],
        "springfield-il": [],
    }


def test_the_index_keeps_which_decisions_rest_on_uncertain_facts() -> None:
    """The folded state names the uncertain facts, the index keeps them, `--uncertain` picks."""
    store = _decided_log(_jag())
    log = EventLog(store, "")
    states = {
        place.slug: log.state(StreamId(program=PROGRAM, jurisdiction=place.slug))
        for place in (PHILADELPHIA, SPRINGFIELD)
    }
    assert states["philadelphia-pa"].uncertain_facts == (
        "philadelphia-v-sessions-pi",
        "philadelphia-v-sessions-sj",
    )
    assert states["springfield-il"].uncertain_facts == ()
    indexed = {slug: IndexedStream.of(state).state(PROGRAM) for slug, state in states.items()}
    assert indexed["philadelphia-pa"].uncertain_facts == states["philadelphia-pa"].uncertain_facts
    assert indexed["philadelphia-pa"].evaluation is None  # the index keeps the ids alone
    pairs: list[tuple[StreamState, Jurisdiction | None]] = [
        (indexed[p.slug], p) for p in (PHILADELPHIA, SPRINGFIELD)
    ]
    assert resting_on_uncertain(pairs) == [(indexed["philadelphia-pa"], PHILADELPHIA)]
