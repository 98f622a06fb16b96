"""`programs add-order`: a signed act adds a previewed order as a new program version."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.eventlog.memory_store import MemoryObjectStore
from infra.files.programs import load_program
from infra.platform.settings import REPO_PROGRAMS_DIR, Settings
from infra.runtime import Runtime
from schemas.base.canonical import sha256_hex
from schemas.base.errors import InputError
from schemas.base.findings import ReplayKind
from schemas.events.catalog import ActSigned, OrderAdded
from schemas.log.keyring import Keyring
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from schemas.people.acts import ActRefusedError, ActType
from schemas.planning.preview import with_order
from schemas.program.definition import ProgramBundle, ProgramError
from tests.support.builders import seed_decided_streams, synthetic_jurisdictions
from tests.support.people import PersonKey, make_key, people_yaml
from tests.unit.test_act_findings import _rewrite
from usecases.add_order import OrderAddition, add_order
from usecases.imports import import_csv
from usecases.preview import preview_order
from usecases.replay import replay_store
from usecases.verify import verify_store

PROGRAM = "jag-fy2017"
AS_OF = datetime(2017, 8, 25, tzinfo=UTC)
ORDER_TEXT = """\
# Hypothetical: a California injunction of every FY2017 condition (test only).
id: hypothetical-pi
title: Hypothetical preliminary injunction (test)
sources:
  - "hypothetical (test only)"
certainty: uncertain
uncertain_because: "hypothetical: no such order exists"
court: N.D. Cal.
case: test
issued: 2017-08-21
effective_from: 2017-08-21
waives: [certify-1373, access, notice]
scope: {states: [CA]}
"""


class Office:
    """A copy of programs/, 30 decided jag-fy2017 reviews, and people with keys."""

    def __init__(self, tmp_path: Path) -> None:
        self.programs = tmp_path / "programs"
        shutil.copytree(REPO_PROGRAMS_DIR, self.programs)
        self.store = MemoryObjectStore()
        self.keys: dict[str, PersonKey] = {
            name: make_key(tmp_path, name) for name in ("olga", "dora", "ada")
        }
        roles = {"olga": "operator", "dora": "determining_official", "ada": "administrator"}
        self.people = tmp_path / "people.yaml"
        self.people.write_text(
            people_yaml(
                [
                    (name, [role], self.keys[name].public, "2020-01-01", None)
                    for name, role in roles.items()
                ]
            )
        )
        places = synthetic_jurisdictions(30)
        registry = tmp_path / "jurisdictions.csv"
        lines = ["slug,name,state,geoid"]
        lines += [f'{p.slug},"{p.name}",{p.state},{p.geoid}' for p in places]
        registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
        runtime = self.as_person("olga")
        import_csv(runtime, registry)
        seed_decided_streams(runtime.log, runtime.program(PROGRAM), places, workers=4)

    def as_person(self, name: str) -> Runtime:
        """A runtime signing with `name`'s key file."""
        settings = Settings(
            s3_prefix="p/",
            programs_dir=self.programs,
            people_file=self.people,
            person_key_file=self.keys[name].path,
            actor=name,
            signing_key_file=None,
        )
        made = Runtime(settings)
        made.__dict__["store"] = self.store
        return made

    def add(self, name: str, text: str = ORDER_TEXT, **options: Any) -> OrderAddition:  # noqa: ANN401
        """`name` adds the order in `text` to jag-fy2017."""
        return add_order(
            self.as_person(name),
            PROGRAM,
            text,
            yaml.safe_load(text),
            source="order.yaml",
            actor=name,
            as_of=AS_OF,
            **options,
        )

    def snapshot(self) -> tuple[list[str], bytes]:
        """Every key the store holds, and program.yaml's bytes."""
        path = self.programs / PROGRAM / "program.yaml"
        return sorted(self.store.list_keys("p/")), path.read_bytes()


@pytest.fixture
def office(tmp_path: Path) -> Office:
    """The office, before any order is added."""
    return Office(tmp_path)


def _acts(office: Office) -> list[object]:
    runtime = office.as_person("dora")
    return [
        event
        for commit in runtime.log.read_stream(StreamId.acts(PROGRAM))
        for _, event in decoded_events(commit)
    ]


def test_a_determining_official_adds_the_order_with_the_preview_hash(office: Office) -> None:
    """The act names both versions and the preview; the folder now loads as the new version."""
    runtime = office.as_person("dora")
    before = runtime.program(PROGRAM)
    text = ORDER_TEXT
    previewed = preview_order(
        runtime, PROGRAM, yaml.safe_load(text), source="o", as_of=AS_OF, known_at=None
    )
    done = office.add("dora", expected_preview=previewed.sha256)
    assert done.preview.sha256 == previewed.sha256
    assert done.program_before_sha256 == before.sha256
    now = load_program(office.programs, PROGRAM)
    assert now.sha256 == done.program_sha256 != before.sha256
    assert [order.id for order in now.program.court_orders][-1] == "hypothetical-pi"
    written = (office.programs / PROGRAM / "program.yaml").read_text()
    assert "# [D] docket 1:17-cv-05720" in written  # the office's comments are kept
    assert "  # Hypothetical: a California injunction" in written  # and the order file's
    signed, added = _acts(office)
    assert isinstance(signed, ActSigned)
    assert isinstance(added, OrderAdded)
    assert signed.signed.act.type is ActType.ADD_ORDER
    assert signed.signed.act.params["preview_sha256"] == previewed.sha256
    assert added.program_sha256 == now.sha256
    stored = runtime.documents.get(previewed.sha256)
    assert stored is not None
    assert sha256_hex(stored) == previewed.sha256
    assert runtime.documents.get(now.sha256) == now.document()


def test_the_audit_finds_no_act_problem_in_an_added_order(office: Office) -> None:
    """`audit verify` accepts an administrator's recorded act and its effect."""
    office.add("ada")
    report = verify_store(office.store, "p/", Keyring(keys=()), program=PROGRAM)
    kinds = {finding.kind.value for finding in report.findings}
    assert report.signed_acts == 2  # Olga's import, Ada's order
    assert not kinds & {"bad_act_signature", "unsigned_act", "actor_not_authorized"}


def test_a_stay_replaces_the_entry_of_its_id(office: Office) -> None:
    """An existing id with a changed period is a new version with that entry replaced."""
    entry = load_program(office.programs, PROGRAM).program.court_orders[0]
    data = entry.model_dump(mode="json", exclude_unset=True)
    data["effective_until"] = "2018-06-01"
    done = office.add("dora", yaml.safe_dump(data, sort_keys=False))
    now = load_program(office.programs, PROGRAM).program.court_orders
    assert now[0].id == entry.id
    assert str(now[0].effective_until) == "2018-06-01"
    assert done.order_id == entry.id


def _refused(office: Office, error: type[Exception], match: str, **kwargs: Any) -> None:  # noqa: ANN401
    before = office.snapshot()
    with pytest.raises(error, match=match):
        office.add(**kwargs)
    assert office.snapshot() == before


def test_an_operator_may_not_add_an_order(office: Office) -> None:
    """The role table: only administrators and determining officials add orders."""
    _refused(office, ActRefusedError, "may not add-order", name="olga")


def test_an_order_without_sources_or_certainty_is_refused(office: Office) -> None:
    """The footing is required, exactly as `programs check` requires it."""
    bare = ORDER_TEXT.replace('  - "hypothetical (test only)"\n', "").replace("sources:\n", "")
    _refused(office, ProgramError, "sources", name="dora", text=bare)
    vague = ORDER_TEXT.replace("certainty: uncertain\n", "")
    _refused(office, ProgramError, "certainty", name="dora", text=vague)


def test_a_malformed_order_is_refused(office: Office) -> None:
    """Not one mapping with an id, or an order the program cannot hold: bad input."""
    _refused(office, ProgramError, "one court_orders entry", name="dora", text="- a list\n")
    unknown = ORDER_TEXT.replace("certify-1373, ", "no-such-condition, ")
    _refused(office, ProgramError, "no-such-condition", name="dora", text=unknown)


def test_an_order_already_there_unchanged_is_refused(office: Office) -> None:
    """Adding the same order twice is not a new version."""
    office.add("dora")
    _refused(office, InputError, "already in jag-fy2017 unchanged", name="ada")


def test_an_unknown_program_is_refused(office: Office) -> None:
    """No such program folder: bad input, nothing written."""
    before = office.snapshot()
    runtime = office.as_person("dora")
    with pytest.raises(InputError, match="no program"):
        add_order(
            runtime,
            "no-such-program",
            ORDER_TEXT,
            yaml.safe_load(ORDER_TEXT),
            source="o",
            actor="dora",
        )
    assert office.snapshot() == before


def test_a_preview_that_no_longer_matches_is_refused(office: Office) -> None:
    """The hash the office read must be the effect now (same --as-of), else preview again."""
    _refused(office, InputError, "preview again", name="dora", expected_preview="0" * 64)


def test_the_program_document_round_trips(office: Office) -> None:
    """The stored new version parses back to the same hash (replay reads it from the log)."""
    done = office.add("dora")
    raw = office.as_person("dora").documents.get(done.program_sha256)
    assert raw is not None
    assert ProgramBundle.from_document(raw).sha256 == done.program_sha256


def _replay_findings(office: Office) -> list[str]:
    report = replay_store(office.store, "p/", Keyring(keys=()), programs=[PROGRAM], workers=2)
    replayed = {kind.value for kind in ReplayKind}  # not the unsigned commits of this test log
    return [
        f"{f.kind}: {f.detail}"
        for f in report.findings
        if f.jurisdiction == "_acts" and f.kind in replayed
    ]


def test_replay_rederives_the_new_version_and_finds_a_changed_preview(office: Office) -> None:
    """`audit replay` adds the order to the old version again; a preview changed is named."""
    done = office.add("dora")
    assert _replay_findings(office) == []
    office.store.replace(f"p/documents/sha256/{done.preview.sha256}", b"{}")
    short = done.preview.sha256[:16]
    assert _replay_findings(office) == [
        f"tampered_document: stored preview document {short}... no longer matches its hash"
    ]


def _edit_order_added(office: Office, **changes: str) -> None:
    """An administrator's rewrite of the recorded addition (the act beside it left as signed)."""

    def edit(document: dict[str, Any]) -> None:
        for event in document["events"]:
            if event["type"] == OrderAdded.TYPE:
                event["data"].update(changes)

    _rewrite(office.as_person("dora"), StreamId.acts(PROGRAM), 0, edit)


def test_an_addition_rewritten_in_storage_is_named_by_the_audit_and_the_replay(
    office: Office,
) -> None:
    """Another old version: the effect differs from the act, and the new one does not follow."""
    office.add("dora")
    before = load_program(REPO_PROGRAMS_DIR, PROGRAM)
    elsewhere = with_order(before, yaml.safe_load(ORDER_TEXT) | {"id": "another"}, source="o")
    office.as_person("dora").documents.put(elsewhere.document())
    _edit_order_added(office, program_before_sha256=elsewhere.sha256)
    report = verify_store(office.store, "p/", Keyring(keys=()), program=PROGRAM)
    problems = [f.detail for f in report.findings if f.kind.value == "bad_act_signature"]
    assert problems == ["the added order differs from the act its person signed"]
    assert [line.split(":")[0] for line in _replay_findings(office)] == ["divergence"]


def test_a_preview_that_is_not_stored_is_named_by_the_replay(office: Office) -> None:
    """The preview the act names must be stored: else `missing_document`."""
    office.add("dora")
    _edit_order_added(office, preview_sha256="0" * 64)
    assert _replay_findings(office) == [
        f"missing_document: preview document {'0' * 16}... is not stored"
    ]


def test_without_a_people_file_adding_an_order_is_refused(office: Office) -> None:
    """An order is a person's signed act: with no people file to check it against, exit 2."""
    before = office.snapshot()
    settings = Settings(s3_prefix="p/", programs_dir=office.programs, signing_key_file=None)
    runtime = Runtime(settings)
    runtime.__dict__["store"] = office.store
    entry = yaml.safe_load(ORDER_TEXT)
    with pytest.raises(InputError, match="signed act: set GRANTREVIEW_PEOPLE_FILE"):
        add_order(runtime, PROGRAM, ORDER_TEXT, entry, source="o", actor="dora", as_of=AS_OF)
    assert office.snapshot() == before


def test_the_command_says_what_it_added_in_one_line(
    office: Office,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`programs add-order` prints the act, both versions and the preview's hash."""
    import sys  # noqa: PLC0415 - only here

    import infra.runtime  # noqa: PLC0415
    from cli.main import main  # noqa: PLC0415

    runtime = office.as_person("dora")
    monkeypatch.setattr(infra.runtime, "get_runtime", lambda: runtime)
    order = tmp_path / "order.yaml"
    order.write_text(ORDER_TEXT, encoding="utf-8")
    argv = ["grantreview", "programs", "add-order", PROGRAM, str(order), "--actor", "dora"]
    monkeypatch.setattr(sys, "argv", [*argv, "--as-of", "2017-08-25"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code in {0, None}
    (line,) = capsys.readouterr().out.splitlines()
    (signed, _) = _acts(office)
    assert isinstance(signed, ActSigned)
    preview = signed.signed.act.params["preview_sha256"]
    assert line.startswith(f"order hypothetical-pi added to {PROGRAM} (act {signed.signed.act_id})")
    assert line.endswith(f"preview sha256 {preview}: the next reevaluate changes 4")
