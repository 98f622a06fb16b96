"""Values past Python's limits (huge integers, deep nesting, far-off dates): findings or exit 2.

Each of these used to escape the parsers as ValueError, RecursionError or OverflowError,
which the CLI maps to exit 70 (a bug) instead of 1 (finding) or 2 (bad input).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli import parse_moment
from infra.files.programs import load_program
from schemas.audit.verify import FindingKind
from schemas.base.errors import InputError
from schemas.program.definition import ProgramError
from schemas.program.response import ResponseError, parse_response
from tests.unit.test_verify import A, key, objects, run

ROOT = Path(__file__).resolve().parents[2]
HUGE = "1" * 5000
"""An integer literal past Python's default int max str digits (4300)."""

RESPONSE = {
    "jurisdiction": "stockton-ca",
    "program": "psp-2017",
    "received_at": "2017-08-18T12:00:00-07:00",
    "respondent": {"name": "A", "title": "B"},
    "answers": {},
}


def test_huge_integer_in_a_response_is_bad_input() -> None:
    """A 5000-digit integer in a response file is a ResponseError, not a bare ValueError."""
    raw = json.dumps(RESPONSE).replace('"answers": {}', f'"answers": {{"x": {HUGE}}}')
    with pytest.raises(ResponseError, match="number too long"):
        parse_response(raw.encode())


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T00:00:00Z"])
def test_received_at_outside_the_window_is_bad_input(when: str) -> None:
    """A response dated near year 1 or 9999 is refused (a deadline added to it would overflow)."""
    raw = json.dumps({**RESPONSE, "received_at": when}).encode()
    with pytest.raises(ResponseError, match="outside 1900-01-01"):
        parse_response(raw)


@pytest.mark.parametrize(
    "snippet", [f"\nquestions_extra: {HUGE}\n", "\nx: " + "[" * 3000 + "]" * 3000 + "\n"]
)
def test_huge_or_deep_program_yaml_is_bad_input(tmp_path: Path, snippet: str) -> None:
    """A 5000-digit integer or deep nesting in program.yaml is a ProgramError (exit 2)."""
    shutil.copytree(ROOT / "programs" / "psp-2017", tmp_path / "psp-2017")
    path = tmp_path / "psp-2017" / "program.yaml"
    path.write_text(path.read_text(encoding="utf-8") + snippet, encoding="utf-8")
    with pytest.raises(ProgramError):
        load_program(tmp_path, "psp-2017")


@pytest.mark.parametrize(
    "text",
    ["0001-01-01T00:00:00+14:00", "9999-12-31", "9999-12-31T23:59:59-14:00", "1899-12-31"],
)
def test_moments_outside_the_window_are_bad_input(text: str) -> None:
    """Every --as-of/--known-at outside 1900-01-01 .. 2200-01-01 is refused before any I/O."""
    with pytest.raises(InputError, match="outside 1900-01-01"):
        parse_moment(text, "--as-of")


def test_moments_inside_the_window_parse() -> None:
    """The window's edges: its first day is accepted; its end is not."""
    assert parse_moment("1900-01-01") is not None
    assert parse_moment("2199-12-31T23:59:59Z") is not None
    with pytest.raises(InputError):
        parse_moment("2200-01-01")


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("value", [HUGE, _deep(400), _deep(5000)])
def test_hostile_commit_is_a_finding(value: str) -> None:
    """A commit holding a huge integer or deep nesting is a bad_format finding, not a crash."""
    commits, checkpoints = objects()
    stored = commits[key(A, 1)].decode()
    commits[key(A, 1)] = stored.replace('"letter_date":', f'"x":{value},"letter_date":').encode()
    report = run(commits, checkpoints)
    assert (A.jurisdiction, 1, FindingKind.BAD_FORMAT) in {
        (f.jurisdiction, f.seq, f.kind) for f in report.findings
    }


@pytest.mark.parametrize("value", [HUGE, _deep(400), _deep(5000)])
def test_hostile_checkpoint_is_a_finding(value: str) -> None:
    """A checkpoint holding a huge integer or deep nesting is a bad_format finding."""
    commits, checkpoints = objects()
    name = next(iter(checkpoints))
    stored = checkpoints[name].decode()
    checkpoints[name] = stored.replace('"heads":', f'"x":{value},"heads":', 1).encode()
    report = run(commits, checkpoints)
    assert any(f.kind == FindingKind.BAD_FORMAT and f.key == name for f in report.findings), (
        report.findings
    )
