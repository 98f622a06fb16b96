"""Replay on an in-memory log: re-derivation, bitemporal state, tampering caught when re-signed."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.documents import DocumentStore, document_key
from infra.eventlog.log import EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.eventlog.store import ObjectStore
from infra.files.programs import load_program
from infra.files.report_html import render_report
from infra.platform.settings import REPO_PROGRAMS_DIR
from schemas.audit.verify import verify_log
from schemas.base.canonical import canonical_json, sha256_hex
from schemas.events.catalog import (
    DecisionOverridden,
    DomainEvent,
    JurisdictionsRegistered,
    LetterSent,
)
from schemas.log.commit import commit_hash, parse_commit, seal_commit, signing_message
from schemas.log.cumulative_checkpoint import (
    KeyEntry,
    Keyring,
    Signer,
    parse_checkpoint,
    parse_checkpoint_key,
    seal_checkpoint,
)
from schemas.log.state import StreamState, fold
from schemas.log.streams import StreamId, commit_key
from schemas.planning.draft import decision_payloads
from schemas.planning.reevaluation import reevaluate_stream
from schemas.planning.review import plan_response
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import parse_response
from schemas.replay.rederive import Moments
from schemas.replay.report import ReplayReport
from schemas.rules.engine import evaluate
from schemas.rules.evaluation import Outcome
from usecases.replay import replay_store

PREFIX = "log/"
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(7, 39))))
KEYRING = Keyring(
    keys=(
        KeyEntry(
            fingerprint=SIGNER.fingerprint,
            public_key=SIGNER.public_bytes.hex(),
            valid_from=datetime(2000, 1, 1, tzinfo=UTC),
        ),
    )
)
PROGRAM = "jag-fy2017"
SLUG = "springfield-il"
STREAM = StreamId(program=PROGRAM, jurisdiction=SLUG)
SPRINGFIELD = Jurisdiction(slug=SLUG, name="Springfield, IL", state="IL", geoid="1772000")


def at(text: str) -> datetime:
    """An ISO time (or date) in UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def response_bytes(received: str, access: str, notice: str) -> bytes:
    """A jag-fy2017 response document as a jurisdiction would send it."""
    return json.dumps(
        {
            "jurisdiction": SLUG,
            "program": PROGRAM,
            "received_at": received,
            "respondent": {"name": "A. Counsel", "title": "Corporation Counsel"},
            "answers": {
                "section_1373": {"answer": "yes"},
                "facility_access": {"answer": access},
                "release_notice": {"answer": notice},
            },
        },
        indent=2,
    ).encode()


@dataclass
class Scenario:
    """The log written by `build_scenario` and the store it is in."""

    store: ObjectStore
    prefix: str
    program_sha256: str
    responses: tuple[str, str]


def build_scenario(store: ObjectStore, prefix: str = PREFIX, signer: Signer = SIGNER) -> Scenario:
    """Letter, response, decision, amendment, decision, revision after a court order, override."""
    log, documents = EventLog(store, prefix), DocumentStore(store, prefix)
    bundle = load_program(REPO_PROGRAMS_DIR, PROGRAM)
    program_sha = documents.put(bundle.document())
    registered = JurisdictionsRegistered(rows=(SPRINGFIELD,), source_sha256="0" * 64)
    log.append(
        seal_commit(
            stream=StreamId.registry(),
            seq=0,
            prev="0" * 64,
            idempotency_key="import",
            payloads=[registered],
            time=at("2017-07-25T09:00"),
            actor="test",
            signer=signer,
        )
    )
    state = StreamState(stream=STREAM)

    def append(key: str, payloads: tuple[DomainEvent, ...], time: str) -> None:
        nonlocal state
        commit = seal_commit(
            stream=STREAM,
            seq=state.head_seq + 1,
            prev=state.head_hash,
            idempotency_key=key,
            payloads=payloads,
            time=at(time),
            actor="test",
            signer=signer,
        )
        assert log.append(commit)
        state = fold(STREAM, [commit], state)

    def decide(as_of: str, known_at: str, recorded: str) -> None:
        raw = documents.store.get(document_key(prefix, state.response_sha or ""))
        assert raw is not None
        evaluation = evaluate(
            bundle,
            SPRINGFIELD,
            parse_response(raw),
            response_sha256=state.response_sha,
            as_of=at(as_of),
            known_at=at(known_at),
        )
        append(f"decision:{state.response_sha}", decision_payloads(evaluation), recorded)

    letter = LetterSent(
        letter_sha256="1" * 64,
        letter_date=at("2017-07-25").date(),
        response_due=at("2017-09-05").date(),
        delivery="none",
    )
    append("letter", (letter,), "2017-07-26T10:00")
    shas = []
    for received, access, notice, recorded, decided in (
        (
            "2017-09-01T12:00:00Z",
            "no",
            "yes",
            "2017-09-01T13:00",
            ("2017-09-06", "2017-09-06T09:00"),
        ),
        (
            "2017-09-08T12:00:00Z",
            "yes",
            "no",
            "2017-09-08T13:00",
            ("2017-09-10", "2017-09-10T09:00"),
        ),
    ):
        raw = response_bytes(received, access, notice)
        sha = documents.put(raw)
        shas.append(sha)
        draft = plan_response(state, parse_response(raw), sha)
        assert draft is not None
        append(draft.idempotency_key, draft.payloads, recorded)
        decide(decided[0], decided[0], decided[1])
    revised = reevaluate_stream(
        state, bundle, SPRINGFIELD, as_of=at("2017-09-15"), known_at=at("2017-09-16")
    )
    assert revised.draft is not None
    append(revised.draft.idempotency_key, revised.draft.payloads, "2017-09-16T09:00")
    override = DecisionOverridden(
        decision=Outcome.INELIGIBLE,
        reason="the 1373 certification was withdrawn",
        actor="j.doe",
        previous=state.effective_decision,
    )
    append("override", (override,), "2017-10-02T09:00")
    write_checkpoint(log, signer, time=at("2017-10-03"))
    return Scenario(store, prefix, program_sha, (shas[0], shas[1]))


def reseal(
    read: Callable[[str], bytes],
    write: Callable[[str, bytes], None],
    prefix: str,
    stream: StreamId,
    seq: int,
    mutate: Callable[[dict[str, Any]], None],
    checkpoints: list[str],
    signer: Signer = SIGNER,
) -> None:
    """The attacker with the signing key: rewrite commits from `seq` on, re-chain, re-sign all."""
    hashes: dict[int, str] = {}
    prev: str | None = None
    current = seq
    while True:
        key = commit_key(prefix, stream, current)
        try:
            document = json.loads(read(key))
        except KeyError:
            break
        mutate(document)
        if prev is not None:
            document["prev"] = prev
            for event in document["events"]:
                event["grprev"] = prev
        document["hash"] = commit_hash(document)
        for event in document["events"]:
            event["grhash"] = document["hash"]
        if "sig" in document:
            raw = signer.sign(signing_message(document["hash"]))
            document["sig"] = {"key_id": signer.fingerprint, "sig": base64.b64encode(raw).decode()}
        write(key, canonical_json(document))
        hashes[current] = prev = document["hash"]
        current += 1
    signature = None
    for key in sorted(checkpoints, key=lambda k: parse_checkpoint_key(prefix, k) or 0):
        old = parse_checkpoint(read(key))
        heads = {name: (h.seq, h.hash) for name, h in old.heads.items()}
        if stream.name in heads and heads[stream.name][0] in hashes:
            heads[stream.name] = (heads[stream.name][0], hashes[heads[stream.name][0]])
        new = seal_checkpoint(
            seq=old.seq, time=old.time, heads=heads, prev_signature=signature, signer=signer
        )
        write(key, new.to_bytes())
        signature = new.signature


def memory_tamper(
    store: MemoryObjectStore,
) -> tuple[Callable[[str], bytes], Callable[[str, bytes], None]]:
    """Read and overwrite objects of a memory store (what an admin with the bucket can do)."""

    def read(key: str) -> bytes:
        return store._objects[key]

    def write(key: str, body: bytes) -> None:
        store._objects[key] = body

    return read, write


def checkpoint_keys(store: ObjectStore, prefix: str = PREFIX) -> list[str]:
    """Every checkpoint key of the log."""
    return list(store.list_keys(f"{prefix}checkpoints/"))


def replay(store: ObjectStore, moments: Moments | None = None) -> ReplayReport:
    """Replay the memory log with the test keyring."""
    return replay_store(store, PREFIX, KEYRING, moments=moments, workers=4)


@pytest.fixture
def scenario() -> Scenario:
    """A fresh scenario log in memory."""
    return build_scenario(MemoryObjectStore())


def test_untouched_log_replays_clean(scenario: Scenario) -> None:
    """Every evaluation, decision and revision re-derives exactly; the override is in force."""
    report = replay(scenario.store)
    assert report.ok, report.findings
    assert (report.streams, report.commits, report.events, report.checkpoints) == (2, 8, 10, 1)
    (item,) = report.jurisdictions
    assert (item.decision.value, item.automatic_decision) == ("ineligible", "eligible")
    assert item.override_reason == "the 1373 certification was withdrawn"
    assert report.decisions == {PROGRAM: {"eligible": 0, "ineligible": 1, "pending": 0}}


@pytest.mark.parametrize(
    ("as_of", "known_at", "decision", "reason"),
    [
        ("2017-08-15", None, "pending", None),
        ("2017-09-07", None, "ineligible", "access for federal agents"),
        ("2017-09-12", None, "ineligible", "notice of scheduled release"),
        ("2017-09-20", "2017-09-15T12:00", "ineligible", "notice of scheduled release"),
        ("2017-09-20", None, "eligible", "chicago-v-sessions-pi"),
        (None, "2017-10-01", "eligible", "chicago-v-sessions-pi"),
        ("2017-09-20", "2017-10-03", "eligible", "chicago-v-sessions-pi"),
        (None, None, "ineligible", None),
    ],
)
def test_as_of_and_known_at_match_hand_computed_answers(
    scenario: Scenario, as_of: str | None, known_at: str | None, decision: str, reason: str | None
) -> None:
    """State as of a valid time and knowledge as of a recording time give the expected decision."""
    moments = Moments(
        None if as_of is None else at(as_of), None if known_at is None else at(known_at)
    )
    report = replay(scenario.store, moments)
    assert report.ok, report.findings
    (item,) = report.jurisdictions
    assert item.decision.value == decision
    if reason is not None:
        assert any(reason in text for text in item.reasons), item.reasons
    document = report.as_json()
    assert document["as_of"] == (None if moments.as_of is None else moments.as_of.isoformat())
    assert document["jurisdictions"][0]["decision"] == decision


def test_timeline_marks_each_decision_change(scenario: Scenario) -> None:
    """The timeline marks each change: ineligible, eligible (court order), ineligible (override)."""
    (item,) = replay(scenario.store).jurisdictions
    changes = [
        (entry.seq, entry.decision.value)
        for entry in item.timeline
        if entry.changed and entry.decision
    ]
    assert changes == [(2, "ineligible"), (5, "eligible"), (6, "ineligible")]


def test_re_signed_outcome_change_is_a_divergence(scenario: Scenario) -> None:
    """A recorded outcome rewritten, re-chained and re-signed passes verify but not replay."""
    store = scenario.store
    assert isinstance(store, MemoryObjectStore)

    def flip(document: dict[str, Any]) -> None:
        for event in document["events"]:
            if document["seq"] == 2 and event["type"] == "grantreview.decision.issued":
                event["data"]["outcome"] = "eligible"

    reseal(*memory_tamper(store), PREFIX, STREAM, 2, flip, checkpoint_keys(store))
    commits = {k: store._objects[k] for k in store.list_keys(f"{PREFIX}streams/")}
    checkpoints = {k: store._objects[k] for k in checkpoint_keys(store)}
    assert verify_log(PREFIX, commits, checkpoints, KEYRING).ok
    report = replay(store)
    assert not report.ok
    found = [(f.program, f.jurisdiction, f.seq, f.kind) for f in report.findings]
    assert (PROGRAM, SLUG, 2, "divergence") in found
    assert any("outcome: recorded 'eligible'" in f.detail for f in report.findings)


def test_stored_program_document_changed_is_caught(scenario: Scenario) -> None:
    """A program document rewritten under its hash no longer matches its address."""
    store = scenario.store
    assert isinstance(store, MemoryObjectStore)
    key = document_key(PREFIX, scenario.program_sha256)
    store._objects[key] = store._objects[key].replace(b"fiscal year 2017", b"fiscal year 2018", 1)
    report = replay(store)
    kinds = {(f.seq, f.kind) for f in report.findings}
    assert (2, "tampered_document") in kinds
    assert all(f.jurisdiction == SLUG for f in report.findings)


def test_stored_response_changed_is_caught(scenario: Scenario) -> None:
    """A response rewritten under its hash is caught at its own event and every evaluation of it."""
    store = scenario.store
    assert isinstance(store, MemoryObjectStore)
    key = document_key(PREFIX, scenario.responses[0])
    store._objects[key] = store._objects[key].replace(b'"no"', b'"yes"')
    report = replay(store)
    assert {(f.seq, f.kind) for f in report.findings} == {(1, "tampered_document")}


def test_swapped_response_re_signed_is_a_divergence(scenario: Scenario) -> None:
    """A new response stored, cited everywhere and re-signed still disagrees with the outcome."""
    store = scenario.store
    assert isinstance(store, MemoryObjectStore)
    forged = response_bytes("2017-09-01T12:00:00Z", "yes", "yes")
    forged_sha = DocumentStore(store, PREFIX).put(forged)
    old = scenario.responses[0]

    def swap(document: dict[str, Any]) -> None:
        for event in document["events"]:
            text = json.dumps(event["data"]).replace(old, forged_sha)
            if document["seq"] == 1:  # the forged answers, as the forged document says
                text = text.replace('"answer": "no"', '"answer": "yes"')
            event["data"] = json.loads(text)

    reseal(*memory_tamper(store), PREFIX, STREAM, 1, swap, checkpoint_keys(store))
    report = replay(store)
    assert any(
        f.seq == 2 and f.kind == "divergence" and "outcome" in f.detail for f in report.findings
    )
    assert not any(f.kind in {"modified", "forged_checkpoint"} for f in report.findings)


def test_missing_program_document_is_a_finding(scenario: Scenario) -> None:
    """An evaluation whose program document was never stored cannot be re-derived."""
    store = scenario.store
    assert isinstance(store, MemoryObjectStore)
    del store._objects[document_key(PREFIX, scenario.program_sha256)]
    store._keys.remove(document_key(PREFIX, scenario.program_sha256))
    report = replay(store)
    assert {f.kind for f in report.findings} == {"missing_document"}
    assert {f.seq for f in report.findings} == {2, 4, 5}


def test_integrity_findings_match_audit_verify(scenario: Scenario) -> None:
    """Replay reports the same integrity findings as `audit verify` (here a removed commit)."""
    store = scenario.store
    assert isinstance(store, MemoryObjectStore)
    key = commit_key(PREFIX, STREAM, 3)
    del store._objects[key]
    store._keys.remove(key)
    commits = {k: store._objects[k] for k in store.list_keys(f"{PREFIX}streams/")}
    checkpoints = {k: store._objects[k] for k in checkpoint_keys(store)}
    expected = {
        (f.location, f.kind.value)
        for f in verify_log(PREFIX, commits, checkpoints, KEYRING).findings
    }
    found = {
        (f.location, f.kind)
        for f in replay(store).findings
        if f.kind in {"missing", "modified", "truncated"}
    }
    assert expected
    assert found == expected


def test_report_is_self_contained_html(scenario: Scenario) -> None:
    """The HTML report inlines everything, shows the jurisdiction's timeline and draws a chart."""
    html = render_report(replay(scenario.store))
    assert html.count("<script") == 1  # the filter box's few inline lines
    assert "<script src" not in html
    assert "<link" not in html
    unlinked = html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name, not a link
    assert "http://" not in unlinked
    assert "https://" not in unlinked
    assert f"{PROGRAM} / {SLUG}" in html
    assert "decision overridden to ineligible by j.doe" in html
    assert 'class="pygal-chart"' in html


def test_commit_times_are_what_the_scenario_recorded(scenario: Scenario) -> None:
    """The scenario's recording times are the ones the known-at expectations rely on."""
    raw = scenario.store.get(commit_key(PREFIX, STREAM, 5))
    assert raw is not None
    assert parse_commit(raw).time == at("2017-09-16T09:00")
    assert sha256_hex(raw) != ""


def test_replay_and_the_writers_fold_agree_on_the_decision_in_force(scenario: Scenario) -> None:
    """At each commit's recording time, replay's decision in force is the folded state's."""
    commits = EventLog(scenario.store, PREFIX).read_stream(STREAM)
    seen = set()
    for count in range(1, len(commits) + 1):
        moments = Moments(None, commits[count - 1].time)
        (item,) = replay(scenario.store, moments).jurisdictions
        state = fold(STREAM, commits[:count])
        assert item.decision == state.effective_decision
        assert (item.automatic_decision, item.reasons) == (state.decision, state.reasons)
        seen.add(item.decision)
    assert seen == {Outcome.PENDING, Outcome.ELIGIBLE, Outcome.INELIGIBLE}
