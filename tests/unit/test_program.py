"""The program model: what a valid program is, and the exact message for each invalid one."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pytest

from infra.files.programs import load_program
from schemas.program.definition import ProgramBundle, ProgramError, parse_program
from schemas.program.jurisdiction import Jurisdiction

if TYPE_CHECKING:
    from collections.abc import Callable

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"
SOURCE = "programs/demo/program.yaml"


def demo() -> dict[str, Any]:
    """A small valid program as loaded from YAML."""
    return {
        "id": "demo",
        "title": "Demo program",
        "kind": "selection",
        "sources": ["a test"],
        "letter": {"response_due": "2017-08-18"},
        "questions": [
            {"id": "q1", "text": "Question one?", "source": "letter q1"},
            {"id": "q2", "text": "Question two?", "source": "letter q2"},
        ],
        "rule_sets": [
            {
                "version": 1,
                "effective_from": "2017-01-01",
                "effective_until": "2018-01-01",
                "conditions": [
                    {
                        "id": "first",
                        "title": "First",
                        "source": "clause 1",
                        "questions": ["q1"],
                        "met_when": 'answers.q1.answer == "yes"',
                        "reason_unmet": "the program requires 'yes'",
                    },
                    {
                        "id": "access",
                        "title": "Access",
                        "source": "clause 2",
                        "questions": ["q2"],
                        "met_when": 'answers.q2.answer == "yes"',
                        "applies_when": 'jurisdiction.state != "PR"',
                        "reason_unmet": "the program requires 'yes'",
                    },
                ],
            },
            {
                "version": 2,
                "effective_from": "2018-01-01",
                "conditions": [
                    {
                        "id": "first",
                        "title": "First",
                        "source": "clause 1",
                        "questions": ["q1"],
                        "met_when": 'answers.q1.answer in ["yes", "partial"]',
                        "reason_unmet": "the program requires 'yes' or 'partial'",
                    }
                ],
            },
        ],
        "court_orders": [
            {
                "id": "order",
                "title": "An order",
                "court": "D. Test",
                "case": "1",
                "issued": "2017-06-01",
                "effective_from": "2017-06-01",
                "waives": ["access"],
                "scope": "nationwide",
            }
        ],
    }


def access_condition(data: dict[str, Any]) -> dict[str, Any]:
    """The `access` condition of rule set 1 (the one with applies_when)."""
    condition: dict[str, Any] = data["rule_sets"][0]["conditions"][1]
    return condition


BROKEN: list[tuple[Callable[[dict[str, Any]], None], str]] = [
    (
        lambda d: access_condition(d).update(met_whn="true"),
        "rule_sets[0].conditions[1] (access): unknown key 'met_whn'",
    ),
    (lambda d: d.update(colour="red"), "unknown key 'colour'"),
    (lambda d: d["letter"].update(due="x"), "letter: unknown key 'due'"),
    (
        lambda d: access_condition(d).pop("met_when"),
        "rule_sets[0].conditions[1] (access): missing key 'met_when'",
    ),
    (
        lambda d: access_condition(d).update(met_when='answers.q2.answer == "yes'),
        (
            "rule_sets[0].conditions[1] (access): met_when does not compile: "
            "Syntax error: token recognition error at: '\"yes' (line 1, column 22)"
        ),
    ),
    (
        lambda d: access_condition(d).update(met_when="colour == 1"),
        (
            "rule_sets[0].conditions[1] (access): met_when does not compile: "
            "unknown variable(s) colour; it may read answers, as_of, jurisdiction, response"
        ),
    ),
    (
        lambda d: access_condition(d).update(applies_when='answers.q2.answer == "yes"'),
        (
            "rule_sets[0].conditions[1] (access): applies_when does not compile: "
            "unknown variable(s) answers; it may read as_of, jurisdiction"
        ),
    ),
    (
        lambda d: d["court_orders"][0].update(waives=["acess"]),
        "court_orders[0] (order): waives 'acess', which no rule set defines",
    ),
    (
        lambda d: d["rule_sets"][1].update(effective_from="2017-12-31"),
        "rule_sets[1] (version 2): overlaps version 1 (2017-01-01 to 2018-01-01)",
    ),
    (
        lambda d: d["rule_sets"][0].pop("effective_until"),
        "rule_sets[1] (version 2): overlaps version 1 (2017-01-01 to open)",
    ),
    (
        lambda d: d["rule_sets"][1].update(version=1),
        "rule_sets[1] (version 1): version 1 is defined twice",
    ),
    (
        lambda d: access_condition(d).update(questions=["q3"]),
        "rule_sets[0].conditions[1] (access): question 'q3' is not defined in questions",
    ),
    (
        lambda d: access_condition(d).update(met_when='answers.q3.answer == "yes"'),
        "rule_sets[0].conditions[1] (access): met_when reads answers.q3, which is not defined",
    ),
    (
        lambda d: access_condition(d).update(met_when='answers.q1.answer == "yes"'),
        (
            "rule_sets[0].conditions[1] (access): met_when reads answers.q1; "
            "list it in this condition's questions"
        ),
    ),
    (
        lambda d: access_condition(d).update(id="first"),
        "rule_sets[0].conditions[1] (first): condition id 'first' is defined twice",
    ),
    (
        lambda d: d["questions"].append(d["questions"][0]),
        "questions[2] (q1): question id is defined twice",
    ),
    (
        lambda d: d["court_orders"][0].update(scope="national"),
        (
            "court_orders[0] (order): scope: "
            "scope must be 'nationwide' or a mapping of states and jurisdictions"
        ),
    ),
    (
        lambda d: d["court_orders"][0].update(scope={}),
        (
            "court_orders[0] (order): scope: "
            "scope must be either nationwide or list states or jurisdictions"
        ),
    ),
    (
        lambda d: d["court_orders"][0].update(effective_until="2017-06-01"),
        "court_orders[0] (order): effective_until must be after effective_from",
    ),
    (
        lambda d: d["rule_sets"][0].update(effective_until="2016-01-01"),
        "rule_sets[0] (version 1): effective_until must be after effective_from",
    ),
    (
        lambda d: d["letter"].update(response_due=20170818),
        "letter.response_due: dates are ISO dates such as 2017-08-18",
    ),
    (
        lambda d: d["rule_sets"][0].update(version="1"),
        "rule_sets[0] (version 1): version: Input should be a valid integer",
    ),
    (
        lambda d: d["letter"].update(template="../secret.j2"),
        (
            "letter.template: String should match pattern "
            "'^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$'"
        ),
    ),
]


def test_demo_program_is_valid() -> None:
    """The demo program parses, and its questions can be looked up by id."""
    program = parse_program(demo(), source=SOURCE)
    assert program.question_ids() == {"q1", "q2"}
    assert program.question("q2").text == "Question two?"
    with pytest.raises(KeyError):
        program.question("q9")


BROKEN_IDS = [
    "unknown-condition-key",
    "unknown-top-key",
    "unknown-letter-key",
    "missing-key",
    "cel-syntax",
    "cel-unknown-variable",
    "applies-when-reads-answers",
    "waives-unknown-condition",
    "versions-overlap",
    "open-version-overlaps",
    "duplicate-version",
    "undefined-question",
    "cel-reads-undefined-question",
    "cel-reads-unlisted-question",
    "duplicate-condition",
    "duplicate-question",
    "bad-scope-word",
    "empty-scope",
    "empty-order-interval",
    "empty-rule-set-interval",
    "numeric-date",
    "string-version",
    "template-outside-folder",
]


@pytest.mark.parametrize(("breaks", "message"), BROKEN, ids=BROKEN_IDS)
def test_invalid_program_message(breaks: Callable[[dict[str, Any]], None], message: str) -> None:
    """Each invalid program raises a ProgramError naming the file, the entry and the problem."""
    data = copy.deepcopy(demo())
    breaks(data)
    with pytest.raises(ProgramError) as raised:
        parse_program(data, source=SOURCE)
    assert str(raised.value) == f"{SOURCE}: {message}"


def test_non_mapping_program_is_refused() -> None:
    """A YAML file that is a list, not a mapping, is a clear ProgramError."""
    with pytest.raises(ProgramError, match=r"^programs/demo/program.yaml: Input should be"):
        parse_program(["id"], source=SOURCE)


def test_bundle_requires_its_template() -> None:
    """A bundle whose program names a template must carry that file, and no other."""
    data = demo()
    data["letter"]["template"] = "letter.md.j2"
    program = parse_program(data, source=SOURCE)
    with pytest.raises(ValueError, match=r"template file 'letter\.md\.j2' is missing"):
        ProgramBundle(program=program, files={})
    with pytest.raises(ValueError, match=r"'extra\.txt' is not referenced by the program"):
        ProgramBundle(program=program, files={"letter.md.j2": "x", "extra.txt": "y"})


@pytest.mark.parametrize("program_id", ["psp-2017", "jag-fy2017", "jag-fy2018"])
def test_document_round_trip(program_id: str) -> None:
    """A shipped program's stored document parses back to the same bundle and hash."""
    bundle = load_program(PROGRAMS, program_id)
    again = ProgramBundle.from_document(bundle.document())
    assert again == bundle
    assert again.sha256 == bundle.sha256
    assert again.document() == bundle.document()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff", "program document: not a program document"),
        (b"[]", "program document: not a grantreview.program/1 document"),
        (
            b'{"format":"grantreview.program/1","program":{},"files":{},"x":1}',
            "program document: expected exactly the keys files, format, program",
        ),
        (
            b'{"format":"grantreview.program/1","program":{"id":"x"},"files":{}}',
            "program document: missing key 'title'",
        ),
    ],
)
def test_from_document_refuses_bad_documents(raw: bytes, message: str) -> None:
    """from_document validates as strictly as the YAML loader."""
    with pytest.raises(ProgramError) as raised:
        ProgramBundle.from_document(raw)
    assert str(raised.value).startswith(message)


def test_from_document_validates_the_program() -> None:
    """A stored document with a broken CEL expression is refused on replay too."""
    document = json.loads(load_program(PROGRAMS, "psp-2017").document())
    document["program"]["rule_sets"][0]["conditions"][0]["met_when"] = "answers.("
    with pytest.raises(ProgramError, match=r"conditions\[0\] \(detention-access\): met_when"):
        ProgramBundle.from_document(json.dumps(document).encode())


@pytest.mark.parametrize("program_id", ["psp-2017", "jag-fy2017", "jag-fy2018"])
def test_letter_template_renders(program_id: str) -> None:
    """Each shipped letter renders with every variable defined and lists every question."""
    bundle = load_program(PROGRAMS, program_id)
    program = bundle.program
    assert program.letter is not None
    assert program.letter.template is not None
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701 - Markdown
    letter = environment.from_string(bundle.files[program.letter.template]).render(
        jurisdiction=Jurisdiction(
            slug="stockton-ca", name="Stockton, CA", state="CA", geoid="0675000"
        ),
        program=program,
        questions=program.questions,
        response_due=program.letter.response_due,
        letter_date="2017-08-03",
    )
    assert "Stockton, CA" in letter
    assert str(program.letter.response_due) in letter
    for question in program.questions:
        assert question.text in letter
