"""`audit verify` checks people's acts: signature, role, approvals, the people file as stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.eventlog.documents import document_key
from infra.eventlog.memory_store import MemoryObjectStore
from infra.platform.settings import Settings
from infra.runtime import Runtime
from schemas.base.canonical import canonical_json
from schemas.events.catalog import ActApproved, ActSigned
from schemas.log.commit import commit_hash, parse_commit
from schemas.log.cumulative_checkpoint import Keyring
from schemas.log.streams import StreamId, commit_key
from schemas.people.acts import ActType
from schemas.rules.evaluation import Outcome
from tests.support.people import copy_program
from tests.unit.test_acts import EXAMPLES, PROGRAM, ROOT, STOCKTON, Team
from usecases.acts import ActRequest, authorize, prepare_act, sign_act
from usecases.imports import import_csv
from usecases.override import apply_override, override_request, record_override
from usecases.proposals import propose
from usecases.verify import verify_store


def _kinds(runtime: Runtime) -> list[str]:
    """Act finding kinds (the test log's commits are unsigned: that finding is left out)."""
    report = verify_store(runtime.store, "p/", Keyring(keys=()))
    return [
        f.kind.value for f in report.findings if f.kind.value not in {"unsigned_commit", "missing"}
    ]


def _rewrite(runtime: Runtime, stream: StreamId, seq: int, edit: object) -> None:
    """An admin's rewrite: edit the commit's JSON, re-seal its hash (no commit key here)."""
    key = commit_key("p/", stream, seq)
    raw = runtime.store.get(key)
    assert raw is not None
    document = json.loads(raw)
    edit(document)  # type: ignore[operator]
    for event in document["events"]:
        event.pop("grhash", None)
    digest = commit_hash(document)
    document["hash"] = digest
    for event in document["events"]:
        event["grhash"] = digest
    _overwrite(runtime, key, canonical_json(document))
    parse_commit(canonical_json(document))


def _overwrite(runtime: Runtime, key: str, body: bytes) -> None:
    """What an administrator can do to a memory store: replace an object's bytes."""
    store: object = runtime.store
    assert isinstance(store, MemoryObjectStore)
    store._objects[key] = body  # the test plays the admin


@pytest.fixture
def team(tmp_path: Path) -> Team:
    """Olga imported (signed), Dora overrode Stockton (signed)."""
    made = Team(tmp_path, ROOT / "programs")
    import_csv(made.as_person("olga"), EXAMPLES / "jurisdictions.csv")
    record_override(
        made.as_person("dora"),
        PROGRAM,
        "stockton-ca",
        decision=Outcome.ELIGIBLE,
        reason="court order",
        actor="dora",
    )
    return made


def test_signed_acts_verify_clean(team: Team) -> None:
    """No act finding on an untouched log; the report counts the signed acts."""
    assert _kinds(team.as_person("dora")) == []
    report = verify_store(team.store, "p/", Keyring(keys=()))
    assert report.signed_acts >= 2


def test_an_actor_edited_in_storage_is_a_bad_act_signature(team: Team) -> None:
    """Dan's name put on Dora's override (event and act): the signature no longer verifies."""

    def edit(document: dict) -> None:  # type: ignore[type-arg]
        for event in document["events"]:
            data = event["data"]
            if "signed" in data:
                data["signed"]["act"]["actor"] = "dan"
            if "actor" in data:
                data["actor"] = "dan"

    runtime = team.as_person("dora")
    _rewrite(runtime, STOCKTON, 0, edit)
    assert _kinds(runtime) == ["bad_act_signature"]


def test_a_people_file_changed_in_storage_is_a_finding(team: Team) -> None:
    """The stored people document rewritten (its hash no longer matches): every act says so."""
    runtime = team.as_person("dora")
    assert runtime.people is not None
    key = document_key("p/", runtime.people.sha256)
    changed = runtime.people.to_bytes().replace(b"determining_official", b"operator")
    _overwrite(runtime, key, changed)
    assert set(_kinds(runtime)) == {"people_file_changed"}


def test_signed_acts_alone_do_not_put_a_file_in_force(team: Team, tmp_path: Path) -> None:
    """Signed acts but no adoption: an unsigned override is no finding (nothing was in force).

    Which file is in force is recorded by adoptions, not inferred (test_people_adoption.py).
    """
    plain = Runtime(Settings(s3_prefix="p/", programs_dir=ROOT / "programs"))
    plain.__dict__["store"] = team.store
    record_override(
        plain, PROGRAM, "baltimore-md", decision=Outcome.INELIGIBLE, reason="late", actor="x"
    )
    assert _kinds(plain) == []


def test_self_approval_and_missing_approval_are_findings(tmp_path: Path) -> None:
    """A writer that skips the rule: an effect with one person, and one approved by its proposer."""
    programs = copy_program(
        ROOT / "programs", tmp_path / "programs", PROGRAM, "approvals: {override: 2}"
    )
    made = Team(tmp_path, programs)
    dora = made.as_person("dora")
    import_csv(made.as_person("olga"), EXAMPLES / "jurisdictions.csv")
    request = override_request(PROGRAM, "stockton-ca", Outcome.ELIGIBLE, "court order")
    signed = authorize(dora, sign_act(dora, prepare_act(dora, request, "dora")))
    apply_override(dora, PROGRAM, "stockton-ca", request, "dora", act=ActSigned(signed=signed))
    assert _kinds(dora) == ["approval_missing"]
    other = override_request(PROGRAM, "baltimore-md", Outcome.ELIGIBLE, "court order")
    proposal = authorize(dora, sign_act(dora, prepare_act(dora, other, "dora")))
    propose(dora, proposal, 2)
    approval_request = ActRequest(
        ActType.APPROVE, PROGRAM, ("baltimore-md",), {"act_id": proposal.act_id}
    )
    approval = sign_act(dora, prepare_act(dora, approval_request, "dora"))
    event = ActApproved(proposal=proposal, approvals=(approval,))
    apply_override(dora, PROGRAM, "baltimore-md", other, "dora", act=event)
    assert sorted(_kinds(dora)) == ["approval_missing", "approval_missing", "self_approval"]
