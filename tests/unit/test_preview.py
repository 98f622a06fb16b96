"""`preview`: a court order's effect on every decided review, with reasons and drafts; no writes."""

from __future__ import annotations

import re
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.main import main
from infra.eventlog.memory_store import MemoryObjectStore
from infra.files.programs import load_order_file, load_program
from infra.platform.settings import REPO_PROGRAMS_DIR, Settings
from infra.runtime import Runtime
from schemas.log.streams import StreamId
from schemas.planning.preview import OrderPreview, with_order
from schemas.program.definition import ProgramError
from tasks.artifacts import preview_markdown
from tests.support.builders import seed_decided_streams, synthetic_jurisdictions
from usecases.imports import import_csv
from usecases.preview import preview_order

PROGRAM = "jag-fy2017"
AS_OF = datetime(2017, 8, 25, tzinfo=UTC)


def _order(**changes: Any) -> dict[str, Any]:  # noqa: ANN401 - YAML values of any type
    order: dict[str, Any] = {
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
        "scope": {"states": ["CA"]},
    }
    order.update(changes)
    return order


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    """A memory-store runtime with 30 synthetic jurisdictions, each with a decided stream."""
    made = Runtime(Settings(s3_prefix="p/", programs_dir=REPO_PROGRAMS_DIR, signing_key_file=None))
    made.__dict__["store"] = MemoryObjectStore()  # the cached adapter, replaced before use
    places = synthetic_jurisdictions(30)
    registry = tmp_path / "jurisdictions.csv"
    lines = ["slug,name,state,geoid", *(f'{p.slug},"{p.name}",{p.state},{p.geoid}' for p in places)]
    registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_csv(made, registry)
    seed_decided_streams(made.log, made.program(PROGRAM), places, workers=4)
    return made


def _preview(runtime: Runtime, path: Path) -> OrderPreview:
    entry = load_order_file(path)
    return preview_order(runtime, PROGRAM, entry, source=str(path), as_of=AS_OF, known_at=None)


def _write(tmp_path: Path, order: object) -> Path:
    path = tmp_path / "order.yaml"
    path.write_text(yaml.safe_dump(order), encoding="utf-8")
    return path


def test_a_state_order_changes_exactly_that_state_and_says_why_the_others_stand(
    runtime: Runtime, tmp_path: Path
) -> None:
    """California's decisions turn eligible with a draft notice; the rest stand, out of scope."""
    before = list(runtime.store.list_keys("p/"))
    found = _preview(runtime, _write(tmp_path, _order()))
    registry = runtime.registry()
    california = sorted(slug for slug, place in registry.items() if place.state == "CA")
    assert 0 < len(california) < len(registry)
    assert [row["jurisdiction"] for row in found.changed] == california
    assert {(row["before"], row["after"]) for row in found.changed} == {("ineligible", "eligible")}
    assert all(row["award_action"] == "release" for row in found.changed)
    assert all("it is now **eligible**" in row["notice_draft"] for row in found.changed)
    assert {row["why"] for row in found.unchanged} == {
        f"order hypothetical-pi does not reach {row['jurisdiction']} (scope)"
        for row in found.unchanged
    }
    assert list(runtime.store.list_keys("p/")) == before


def test_an_order_not_yet_in_force_or_not_yet_known_changes_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    """Before its period, or before the office knew of it, the order changes no decision."""
    later = _write(tmp_path, _order(scope="nationwide", effective_from="2017-09-01"))
    found = _preview(runtime, later)
    assert found.changed == []
    assert {row["why"] for row in found.unchanged} == {
        "order hypothetical-pi is not in force then (2017-09-01 to open)"
    }
    unknown = _write(tmp_path, _order(scope="nationwide", known_at="2017-09-01"))
    found = _preview(runtime, unknown)
    assert found.changed == []
    assert {row["why"] for row in found.unchanged} == {
        "order hypothetical-pi was not known yet (known 2017-09-01)"
    }


def test_an_existing_id_is_replaced_not_added() -> None:
    """An entry with an existing id is the changed order (a stay), in its place."""
    bundle = Runtime(Settings(programs_dir=REPO_PROGRAMS_DIR)).program(PROGRAM)
    stayed = _order(id="chicago-v-sessions-pi", effective_until="2017-10-01")
    changed = with_order(bundle, stayed, source="stay.yaml")
    ids = [order.id for order in changed.program.court_orders]
    assert ids == [order.id for order in bundle.program.court_orders]
    assert str(changed.program.court_orders[0].effective_until) == "2017-10-01"
    assert changed.sha256 != bundle.sha256


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (_order(certainty=None, uncertain_because=None), "certainty: documented or uncertain"),
        (_order(sources=[]), "sources: at least one source"),
        (_order(waives=["acces"]), "waives 'acces', which no rule set defines"),
        (["not", "a", "mapping"], "one court_orders entry (a mapping with an id) is expected"),
    ],
)
def test_preview_refuses_a_bad_order_with_exit_2(
    tmp_path: Path,
    order: object,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bad order file exits 2 with one line naming the file and the entry, before any read."""
    path = _write(tmp_path, order)
    monkeypatch.setenv("GRANTREVIEW_S3_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens
    monkeypatch.setattr(
        sys, "argv", ["grantreview", "preview", "-p", PROGRAM, "--order", str(path)]
    )
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert message in line
    assert str(path) in line
    bundle = Runtime(Settings(programs_dir=REPO_PROGRAMS_DIR)).program(PROGRAM)
    with pytest.raises(ProgramError, match=re.escape(message)):
        with_order(bundle, yaml.safe_load(path.read_text(encoding="utf-8")), source="x")


def test_the_preview_flow_shows_the_cli_preview_as_an_artifact(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deployment's run gives the same document as the CLI and shows it as one artifact."""
    from flows import preview as flow_module  # noqa: PLC0415 - Prefect only for this test

    shown: list[str] = []
    monkeypatch.setattr(flow_module, "get_runtime", lambda: runtime)
    monkeypatch.setattr(flow_module, "publish_preview", lambda f: shown.append(preview_markdown(f)))
    path = _write(tmp_path, _order(title="Order *with* [markup](http://x)"))
    document = flow_module.preview.fn(PROGRAM, path.read_text(encoding="utf-8"), AS_OF)
    expected = _preview(runtime, path)
    assert document["preview_sha256"] == expected.sha256
    assert document["changed"] == expected.changed
    (markdown,) = shown
    assert f"{len(expected.changed)} would change, {len(expected.unchanged)} would not" in markdown
    first = expected.changed[0]
    assert f"| {first['jurisdiction']} | ineligible | eligible | release |" in markdown
    assert first["notice_draft"] in markdown
    assert "[markup](http://x)" not in markdown  # data is text, never a link


def test_the_preview_deployment_offers_the_programs_and_takes_the_order_as_text() -> None:
    """The `preview` deployment's form: a program choice, the order as text, optional dates."""
    from prefect.utilities.callables import parameter_schema  # noqa: PLC0415 - see test_stage_flows

    from flows.deploy.deployments import preview_deployments  # noqa: PLC0415
    from flows.deploy.forms import with_program_choice  # noqa: PLC0415
    from flows.preview import preview  # noqa: PLC0415

    (deployment,) = preview_deployments([PROGRAM])
    assert (deployment.name, deployment.entrypoint) == ("preview", "flows.preview.preview")
    schema = parameter_schema(with_program_choice(preview, [PROGRAM]))
    assert schema.properties["program"]["enum"] == [PROGRAM]
    assert set(schema.required) == {"program", "order"}
    assert schema.properties["order"]["type"] == "string"
    assert "court_orders entry" in schema.properties["order"]["description"]


def test_the_previewed_program_is_the_one_adding_the_order_to_the_folder_gives(
    tmp_path: Path,
) -> None:
    """The preview's program hash is the document `reevaluate` cites once the order is added."""
    bundle = Runtime(Settings(programs_dir=REPO_PROGRAMS_DIR)).program(PROGRAM)
    root = tmp_path / "programs"
    shutil.copytree(REPO_PROGRAMS_DIR / PROGRAM, root / PROGRAM)
    path = root / PROGRAM / "program.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["court_orders"].append(_order())
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert with_order(bundle, _order(), source="x").sha256 == load_program(root, PROGRAM).sha256


def test_the_html_report_shows_the_preview_with_names_and_notices_inert(
    runtime: Runtime, tmp_path: Path
) -> None:
    """The report lists who changes and why the rest stand; a name's markup stays text."""
    from dataclasses import replace  # noqa: PLC0415 - only here

    from infra.files.preview_html import render_preview, write_preview  # noqa: PLC0415

    found = _preview(runtime, _write(tmp_path, _order(title="Order <b>bold</b>")))
    hostile = found.changed[0] | {"name": '<script>alert(1)</script> "Place"\x1b[31m'}
    shown = replace(found, changed=[hostile, *found.changed[1:]])
    html = render_preview(shown)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;Place&#34;\\x1b[31m" in html
    assert "Order &lt;b&gt;bold&lt;/b&gt;" in html
    assert shown.sha256 in html
    assert "font: 15px/1.45 system-ui" in html  # the replay report's style
    for row in found.changed:
        assert f'<section id="notice--{row["jurisdiction"]}">' in html
    for row in found.unchanged:
        assert f"{row['why']}" in html
    assert f"{len(found.changed)} would change, {len(found.unchanged)} unchanged" in html
    path = tmp_path / "preview.html"
    write_preview(found, path)
    assert path.read_text(encoding="utf-8") == render_preview(found)


def test_a_report_path_that_is_a_folder_is_refused_before_anything_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--report` naming a folder: exit 2 with one line, before the log is read."""
    path = _write(tmp_path, _order())
    monkeypatch.setenv("GRANTREVIEW_S3_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens
    argv = ["grantreview", "preview", "-p", PROGRAM, "--order", str(path)]
    monkeypatch.setattr(sys, "argv", [*argv, "--report", str(tmp_path)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "is a folder" in line


def test_each_draft_is_the_notice_the_sender_renders_byte_for_byte(
    runtime: Runtime, tmp_path: Path
) -> None:
    """Folding reevaluate's own revision, the revision notice due renders to the preview's draft.

    The sender renders it on a later day (a year on here) and still gets these bytes: a
    revision notice is dated the revision's valid date, not the sending day.
    """
    from datetime import date  # noqa: PLC0415 - only here

    from schemas.log.state import apply_event  # noqa: PLC0415
    from schemas.planning.notices import notice_day, notice_due, render_notice  # noqa: PLC0415
    from schemas.planning.preview import with_order  # noqa: PLC0415
    from schemas.planning.reevaluation import reevaluate_stream  # noqa: PLC0415

    path = _write(tmp_path, _order())
    found = _preview(runtime, path)
    after = with_order(runtime.program(PROGRAM), load_order_file(path), source="o")
    registry = runtime.registry()
    assert found.changed
    for row in found.changed:
        stream = StreamId(program=PROGRAM, jurisdiction=row["jurisdiction"])
        state = runtime.log.state(stream)
        place = registry[row["jurisdiction"]]
        revised = reevaluate_stream(state, after, place, as_of=AS_OF, known_at=AS_OF)
        assert revised.draft is not None
        for event in revised.draft.payloads:
            state = apply_event(state, event, AS_OF)
        due = notice_due(state)
        assert due is not None
        assert due[1] == "revision"
        sent_on = notice_day(state, date(2018, 8, 25))
        assert sent_on == AS_OF.date()
        rendered, answer_due = render_notice(after, place, state, sent_on)
        assert answer_due is None
        assert rendered.markdown.encode("utf-8") == row["notice_draft"].encode("utf-8")
