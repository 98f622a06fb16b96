"""What operators see in Prefect: the run form's help and choices, run names, summaries, events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from markdown_it import MarkdownIt
from prefect.utilities.callables import parameter_schema
from prefect.utilities.schema_tools import ValidationError, validate

from flows.decide import decide
from flows.deploy.forms import form_properties, summary, with_program_choice
from flows.review import review
from flows.run_names import run_name
from tasks.artifacts import MAX_CHANGED_ROWS, summary_markdown
from tasks.decision_events import DECISION_ISSUED, decision_event
from tests.unit.test_inert_letters import _parse
from usecases.stream_outcome import StreamOutcome

TODAY = datetime(2026, 11, 29, 8, tzinfo=UTC)
_NULL = {"type": "null"}


def _outcome(slug: str, *, appended: int = 1, decided: bool = True) -> StreamOutcome:
    return StreamOutcome(
        jurisdiction=slug,
        step="decided" if decided else "letter_sent",
        decision="ineligible" if decided else "pending",
        reasons=("[click](https://evil.example) no response",) if decided else (),
        appended=appended,
        head_seq=2,
        head_hash="h" * 64,
        decided_now=decided and appended > 0,
        decision_id="d" * 32,
        rule_set_version=1,
        name="Stockton, CA",
    )


def test_every_review_parameter_has_help_in_the_form() -> None:
    """The docstring's Args section becomes each field's description; the list shows no Args."""
    properties = parameter_schema(review).model_dump_for_openapi()["properties"]
    assert set(properties) == {
        "program",
        "jurisdictions",
        "as_of",
        "known_at",
        "actor",
        "act",
        "signature",
    }
    assert all(properties[name].get("description") for name in properties)
    assert "Args:" not in summary(review)
    assert summary(review).startswith("Review jurisdictions under a program")


def test_every_served_form_field_shows_its_help_and_never_a_none_type() -> None:
    """Each field of each served deployment has help; an optional one is its plain type.

    A `[type, null]` choice with a null default is what the UI shows as 'Property is type
    "None"'; an explicit null must still pass the server's check (the flow's default).
    """
    from flows.deploy.deployments import served_deployments  # noqa: PLC0415 - builds deployments
    from infra.platform.settings import Settings  # noqa: PLC0415

    made = served_deployments(["psp-2017", "jag-fy2017"], settings=Settings())
    optional = 0
    for deployment in made:
        schema = deployment._parameter_openapi_schema.model_dump_for_openapi()  # what serve sends
        for name, field in schema["properties"].items():
            where = f"{deployment.name}.{name}"
            assert field.get("description"), where
            assert "anyOf" not in field, where
            assert field.get("type") not in {None, "null"}, where
            assert "default" not in field or field["default"] is not None, where
            if name not in schema.get("required", []) and "default" not in field:
                optional += 1
                validate({name: None}, schema, raise_on_error=True, ignore_required=True)
    assert optional >= 10  # as_of, known_at, act, signature ... across the deployments
    review_form = next(d for d in made if d.name == "review")._parameter_openapi_schema
    assert review_form.properties["as_of"]["format"] == "date-time"
    with pytest.raises(ValidationError):
        validate({"program": "psp-2017", "as_of": 7}, review_form.model_dump_for_openapi(),
                 raise_on_error=True)  # fmt: skip


def test_a_field_that_is_not_optional_keeps_its_schema() -> None:
    """Only `[type, null]` with a null default is rewritten; unions and defaults stay."""
    union = {"anyOf": [{"type": "string"}, {"type": "integer"}, _NULL], "default": None}
    defaulted = {"anyOf": [{"type": "string"}, _NULL], "default": "x"}
    fields = {"u": union, "d": defaulted, "b": {"type": "boolean", "default": False}}
    assert form_properties(fields) == fields


def test_program_is_a_choice_of_the_served_programs() -> None:
    """The form offers exactly the programs serve was given; the flow itself takes any slug."""
    schema = parameter_schema(with_program_choice(review, ["psp-2017", "jag-fy2017"]))
    assert schema.properties["program"]["enum"] == ["psp-2017", "jag-fy2017"]
    assert "enum" not in parameter_schema(review).properties["program"]
    one = parameter_schema(with_program_choice(review, ["psp-2017"]))
    assert one.properties["program"]["enum"] == ["psp-2017"]  # a choice of one, not a const


def test_a_bad_slug_in_the_form_fails_with_one_line() -> None:
    """The schema carries the slug pattern, so the server refuses a bad slug in one line."""
    schema = parameter_schema(decide).model_dump_for_openapi()
    with pytest.raises(ValidationError) as refused:
        validate(
            {"program": "psp-2017", "jurisdiction": "Stockton CA"}, schema, raise_on_error=True
        )
    assert "\n" not in str(refused.value)
    assert "Stockton CA" in str(refused.value)
    validate({"program": "psp-2017", "jurisdiction": "stockton-ca"}, schema, raise_on_error=True)


@pytest.mark.parametrize(
    ("template", "parameters", "expected"),
    [
        (
            "review-{program}-{date}",
            {"program": "psp-2017", "as_of": None},
            "review-psp-2017-2026-11-29",
        ),
        (
            "review-{program}-{date}",
            {"program": "psp-2017", "as_of": datetime(2017, 8, 3, tzinfo=UTC)},
            "review-psp-2017-2017-08-03",
        ),
        (
            "respond-{jurisdiction}",
            {"program": "psp-2017", "jurisdiction": "stockton-ca"},
            "respond-stockton-ca",
        ),
        ("audit-{program}-{date}", {"program": None}, "audit-all-2026-11-29"),
        ("checkpoint-{date}", {}, "checkpoint-2026-11-29"),
    ],
)
def test_runs_have_readable_names(
    template: str, parameters: dict[str, object], expected: str
) -> None:
    """A run is named after what it does, from its own parameters; no random adjective-animal."""
    assert run_name(template, parameters, TODAY) == expected


def test_a_batch_summary_counts_and_lists_only_what_changed() -> None:
    """Counts by step and decision; the table lists changed streams only, as inert text."""
    outcomes = [_outcome("stockton-ca"), _outcome("baltimore-md", appended=0)]
    text = summary_markdown("psp-2017", outcomes)
    assert text.startswith("# psp-2017: 2 jurisdictions, 1 changed")
    assert "| decision | ineligible | 2 |" in text
    assert "stockton-ca" in text
    assert "baltimore-md" not in text
    parsed = _parse(MarkdownIt("commonmark").enable("table").render(text))
    assert "a" not in {tag for tag, _ in parsed.tags}
    assert "[click](https://evil.example)" in parsed.text


def test_a_large_batch_summary_is_capped() -> None:
    """Past the cap the table says how many more; the summary stays one artifact."""
    outcomes = [_outcome(f"j{i}") for i in range(MAX_CHANGED_ROWS + 3)]
    text = summary_markdown("psp-2017", outcomes)
    assert text.count("| Stockton, CA (j") == MAX_CHANGED_ROWS
    assert "and 3 more" in text


def test_a_decision_event_names_its_resources_readably() -> None:
    """The jurisdiction and program are related resources with names an automation can print."""
    event = decision_event(
        "psp-2017", "Public Safety Partnership", _outcome("stockton-ca"), "s3://b/p/"
    )
    assert event["event"] == DECISION_ISSUED == "grantreview.decision.issued"
    assert (
        event["resource"]["prefect.resource.name"] == "Stockton, CA: ineligible, final (psp-2017)"
    )
    assert event["resource"]["grantreview.log"] == "s3://b/p/"
    assert event["resource"]["grantreview.decision"] == "ineligible"  # for an automation's match
    roles = {r["prefect.resource.role"]: r for r in event["related"]}
    assert roles["jurisdiction"]["prefect.resource.id"] == "grantreview.jurisdiction.stockton-ca"
    assert roles["jurisdiction"]["prefect.resource.name"] == "Stockton, CA"
    assert roles["program"]["prefect.resource.name"] == "psp-2017: Public Safety Partnership"
    assert event["payload"]["decision"] == "ineligible"
    assert (event["payload"]["stage"], event["payload"]["final"]) == ("final", True)


def test_a_preliminary_decision_event_says_so() -> None:
    """A preliminary result is labelled and named preliminary, never read as the decision."""
    outcome = replace(_outcome("stockton-ca"), stage="preliminary")
    event = decision_event("psp-2017", "Public Safety Partnership", outcome, "s3://b/p/")
    assert event["resource"]["prefect.resource.name"] == (
        "Stockton, CA: ineligible, preliminary (psp-2017)"
    )
    assert event["resource"]["grantreview.stage"] == "preliminary"
    assert (event["payload"]["final"], event["payload"]["award_action"]) == (False, None)


def test_decision_events_carry_the_label_triggers_match() -> None:
    """A trigger on decisions matches the same log label the response triggers use."""
    from flows.deploy.deployments import LOG_LABEL  # noqa: PLC0415 - the deployments' own name
    from tasks.decision_events import LOG_LABEL as EVENT_LABEL  # noqa: PLC0415

    assert EVENT_LABEL == LOG_LABEL


def test_the_documented_automation_is_a_valid_one_that_matches_a_decision() -> None:
    """docs/deploy.md's example parses as a Prefect automation and its match fits our event."""
    import re  # noqa: PLC0415 - this test only
    from pathlib import Path  # noqa: PLC0415

    import yaml  # noqa: PLC0415
    from prefect.events.schemas.automations import AutomationCore  # noqa: PLC0415

    docs = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    (block,) = re.findall(r"```yaml\n(name: ineligible-decision-notify.*?)```", docs, re.DOTALL)
    document = yaml.safe_load(block)
    document["actions"][0]["block_document_id"] = "00000000-0000-0000-0000-000000000000"
    automation = AutomationCore.model_validate(document)
    event = decision_event("psp-2017", "PSP", _outcome("stockton-ca"), "s3://grantreview/")
    match = automation.trigger.model_dump()["match"]
    assert all(event["resource"][label] == value for label, value in match.items())
