"""`grantreview programs check` and `list`, as a policy analyst runs them.

The tests invoke the `programs` sub-app itself, so a broken sibling command
elsewhere in the CLI cannot mask these results.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.programs import programs_app
from infra.platform.settings import get_settings

REPO_PROGRAMS = Path(__file__).resolve().parents[2] / "programs"
VALID = """\
id: demo
title: Demo program
kind: selection
sources: ["a test"]
letter:
  template: letter.md.j2
  response_due: 2017-08-18
questions:
  - {id: q1, text: "Question one?", source: "letter q1"}
  - {id: q2, text: "Question two?", source: "letter q2"}
rule_sets:
  - version: 1
    effective_from: 2017-01-01
    effective_until: 2018-01-01
    conditions:
      - id: first
        title: First
        source: clause 1
        questions: [q1]
        met_when: 'answers.q1.answer == "yes"'
        reason_unmet: the program requires 'yes'
      - id: access
        title: Access
        source: clause 2
        questions: [q2]
        met_when: 'answers.q2.answer == "yes"'
        reason_unmet: the program requires 'yes'
  - version: 2
    effective_from: 2018-01-01
    conditions:
      - id: first
        title: First
        source: clause 1
        questions: [q1]
        met_when: 'answers.q1.answer == "yes"'
        reason_unmet: the program requires 'yes'
court_orders:
  - id: order
    title: An order
    sources: ["D. Test 17-cv-1, order of 2017-06-01 (test fixture)"]
    certainty: documented
    court: D. Test
    case: "17-cv-1"
    issued: 2017-06-01
    effective_from: 2017-06-01
    waives: [access]
    scope: nationwide
"""


def write_program(root: Path, text: str = VALID, *, template: str | None = "Dear {{ x }}") -> Path:
    """Write programs/demo/program.yaml (and its template) under `root`; return programs/."""
    folder = root / "programs" / "demo"
    folder.mkdir(parents=True)
    (folder / "program.yaml").write_text(text, encoding="utf-8")
    if template is not None:
        (folder / "letter.md.j2").write_text(template, encoding="utf-8")
    return root / "programs"


def check(programs: Path, *args: str) -> tuple[int, str, str]:
    """Run `programs check DIR ...`; return exit code, stdout and stderr."""
    result = CliRunner().invoke(programs_app, ["check", str(programs), *args])
    return result.exit_code, result.stdout, result.stderr


def test_valid_program_prints_ok(tmp_path: Path) -> None:
    """A valid program gives one OK line and exit 0."""
    code, out, err = check(write_program(tmp_path))
    assert (code, err) == (0, "")
    assert out.startswith("OK demo: 2 questions, rule set versions 1, 2, 1 court orders, 0 notices")


BROKEN = [
    pytest.param(
        ("      - id: access\n", "      - id: access\n        colour: red\n"),
        "rule_sets[0].conditions[1] (access): unknown key 'colour'",
        id="unknown-key",
    ),
    pytest.param(
        ("'answers.q2.answer == \"yes\"'", "'answers.q2.answer =='"),
        "rule_sets[0].conditions[1] (access): met_when does not compile: Syntax error: "
        "mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', "
        "'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER} (line 1, column 21)",
        id="cel-does-not-compile",
    ),
    pytest.param(
        ("waives: [access]", "waives: [acces]"),
        "court_orders[0] (order): waives 'acces', which no rule set defines",
        id="waives-unknown-condition",
    ),
    pytest.param(
        ("    effective_until: 2018-01-01\n", "    effective_until: 2018-02-01\n"),
        "rule_sets[1] (version 2): overlaps version 1 (2017-01-01 to 2018-02-01)",
        id="overlapping-versions",
    ),
    pytest.param(
        ("questions: [q2]", "questions: [q3]"),
        "rule_sets[0].conditions[1] (access): question 'q3' is not defined in questions",
        id="question-not-defined",
    ),
    pytest.param(
        ('    sources: ["D. Test 17-cv-1, order of 2017-06-01 (test fixture)"]\n', ""),
        "court_orders[0] (order): sources: at least one source "
        "(a URL or citation and what it supports)",
        id="order-without-sources",
    ),
    pytest.param(
        ("    certainty: documented\n", ""),
        "court_orders[0] (order): certainty: documented or uncertain is required",
        id="order-without-certainty",
    ),
    pytest.param(
        ("    certainty: documented\n", "    certainty: uncertain\n"),
        "court_orders[0] (order): certainty: uncertain needs uncertain_because (one line: why)",
        id="uncertain-without-reason",
    ),
]


@pytest.mark.parametrize(("change", "message"), BROKEN)
def test_broken_program_exits_2(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    """Each broken program exits 2 naming the file, the entry and the problem."""
    old, new = change
    assert old in VALID
    programs = write_program(tmp_path, VALID.replace(old, new, 1))
    code, out, err = check(programs)
    assert (code, out) == (2, "")
    assert err == f"error: {programs / 'demo' / 'program.yaml'}: {message}\n"


def test_missing_template_exits_2(tmp_path: Path) -> None:
    """A letter template named in the program but absent from its folder exits 2."""
    programs = write_program(tmp_path, template=None)
    code, _, err = check(programs)
    assert code == 2
    assert err == (
        f"error: {programs / 'demo' / 'program.yaml'}: letter.template: "
        f"template file {programs / 'demo' / 'letter.md.j2'} is missing\n"
    )


def test_template_syntax_error_exits_2(tmp_path: Path) -> None:
    """A letter template that does not parse exits 2 naming the template and line."""
    programs = write_program(tmp_path, template="Dear\n{{ x ")
    code, _, err = check(programs)
    assert code == 2
    assert err.startswith(f"error: {programs / 'demo' / 'letter.md.j2'}: line 2: template does")


def test_duplicate_yaml_key_exits_2(tmp_path: Path) -> None:
    """A key given twice in one mapping is refused with its line, not silently overwritten."""
    programs = write_program(
        tmp_path, VALID.replace("kind: selection\n", "kind: selection\nid: x\n")
    )
    code, _, err = check(programs)
    assert code == 2
    assert err == (
        f"error: {programs / 'demo' / 'program.yaml'}: line 4, column 1: "
        "duplicate key 'id' (line 4)\n"
    )


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    """Unparsable YAML exits 2 naming the file and line."""
    programs = write_program(tmp_path, VALID.replace("title: Demo program", "title: [Demo"))
    code, _, err = check(programs)
    assert code == 2
    assert err.startswith(f"error: {programs / 'demo' / 'program.yaml'}: line 3, column 5: ")


def test_folder_must_match_id(tmp_path: Path) -> None:
    """A program whose id differs from its folder name is refused."""
    programs = write_program(tmp_path, VALID.replace("id: demo", "id: other"))
    code, _, err = check(programs)
    assert code == 2
    assert err.endswith("id: 'other' does not match its folder 'demo'\n")


def test_missing_directory_exits_2(tmp_path: Path) -> None:
    """A programs directory that does not exist exits 2."""
    code, _, err = check(tmp_path / "nowhere")
    assert (code, err) == (2, f"error: {tmp_path / 'nowhere'}: not a directory\n")


def test_shipped_programs_are_valid() -> None:
    """The repository's own programs pass the check."""
    code, out, _ = check(REPO_PROGRAMS)
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "OK jag-fy2017",
        "OK jag-fy2018",
        "OK psp-2017",
    ]


def test_check_json(tmp_path: Path) -> None:
    """--json prints one document with each program's id, versions and hash."""
    code, out, _ = check(write_program(tmp_path), "--json")
    assert code == 0
    document = json.loads(out)
    assert document["ok"] is True
    assert document["programs"][0]["id"] == "demo"
    assert document["programs"][0]["rule_set_versions"] == [1, 2]
    assert len(document["programs"][0]["sha256"]) == 64


def test_list_uses_the_environment_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`programs list` without DIR reads GRANTREVIEW_PROGRAMS_DIR and prints ids and titles."""
    monkeypatch.setenv("GRANTREVIEW_PROGRAMS_DIR", str(write_program(tmp_path)))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(programs_app, ["list"])
        as_json = CliRunner().invoke(programs_app, ["list", "--json"])
    finally:
        get_settings.cache_clear()
    assert (result.exit_code, result.stdout) == (0, "demo\tDemo program\n")
    assert [entry["title"] for entry in json.loads(as_json.stdout)] == ["Demo program"]


def test_list_refuses_an_invalid_program(tmp_path: Path) -> None:
    """`programs list` refuses to load an invalid program, with the same message as check."""
    programs = write_program(tmp_path, VALID.replace("waives: [access]", "waives: [acces]"))
    result = CliRunner().invoke(programs_app, ["list", str(programs)])
    assert result.exit_code == 2
    assert result.stderr.endswith("waives 'acces', which no rule set defines\n")


def test_template_symlink_to_the_key_exits_2(tmp_path: Path) -> None:
    """A letter template linked to the signing key fails the check, naming the entry."""
    programs = write_program(tmp_path, template=None)
    key = tmp_path / "signing-key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n", encoding="utf-8")
    (programs / "demo" / "letter.md.j2").symlink_to(key)
    code, out, err = check(programs)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {programs / 'demo' / 'program.yaml'}: letter.template: ")
    assert "letter.md.j2 is a symbolic link" in err
    assert "PRIVATE KEY" not in err
    assert err.count("\n") == 1


def test_expensive_cel_exits_2(tmp_path: Path) -> None:
    """Four nested comprehensions over 100 elements are refused by the check, naming the entry."""
    hundred = "[" + ",".join(str(number) for number in range(100)) + "]"
    nested = "true"
    for name in "abcd":
        nested = f"{hundred}.all({name}, {nested})"
    expensive = f"'{nested} && answers.q2.answer == \"yes\"'"
    programs = write_program(tmp_path, VALID.replace("'answers.q2.answer == \"yes\"'", expensive))
    code, out, err = check(programs)
    assert (code, out) == (2, "")
    assert err.startswith(
        f"error: {programs / 'demo' / 'program.yaml'}: "
        "rule_sets[0].conditions[1] (access): met_when may take up to "
    )
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            "range() of 100,000 items; the limit is 10,000",
        ),
        ("{{ 'x' * 100000 * 100000 }}", "a repeated string or list would be too long"),
        ("{% for q in questions recursive %}{% endfor %}", "recursive loops are not allowed"),
    ],
    ids=["nested-range", "string-repeat", "recursive-loop"],
)
def test_hostile_template_exits_2(tmp_path: Path, template: str, problem: str) -> None:
    """A letter template beyond the rendering budget fails the check, naming the entry."""
    programs = write_program(tmp_path, template=template)
    code, out, err = check(programs)
    assert (code, out) == (2, "")
    assert err.startswith(
        f"error: {programs / 'demo' / 'program.yaml'}: letter.template: "
        f"{programs / 'demo' / 'letter.md.j2'}: "
    )
    assert problem in err
    assert err.count("\n") == 1
