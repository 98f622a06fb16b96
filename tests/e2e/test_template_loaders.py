"""A program's letter template is one file: tags that load others exit 2, and no text exits 70.

`programs check` (and every command that loads programs, through the same loader) must
name the template file and the tag; no template text, however odd, may crash a command.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.e2e.test_programs_check import check, write_program

LOADING = {
    "include": ('{% include "other.md.j2" %}', "{% include %}"),
    "import": ('{% import "other.md.j2" as other %}{{ other.x }}', "{% import %}"),
    "from-import": ('{% from "other.md.j2" import x %}', "{% from ... import %}"),
    "extends": ('{% extends "other.md.j2" %}', "{% extends %}"),
}


@pytest.mark.parametrize(("source", "tag"), LOADING.values(), ids=LOADING.keys())
def test_loading_tags_exit_2_naming_file_and_tag(tmp_path: Path, source: str, tag: str) -> None:
    """include, import, from-import and extends are refused with exit 2, file and tag named."""
    programs = write_program(tmp_path, template=f"Dear {{{{ jurisdiction.name }}}}\n{source}\n")
    code, out, err = check(programs)
    assert (code, out) == (2, "")
    assert str(programs / "demo" / "letter.md.j2") in err
    assert f"line 2: {tag} is not allowed" in err
    assert err.count("\n") == 1


FRAGMENTS = st.sampled_from(
    [
        "Dear ",
        "{{ jurisdiction.name }}",
        "{{ x }}",
        "{{ 1/0 }}",
        "{{ 1 // 0 }}",
        "{{ 'a' + 1 }}",
        "{{ [] | first }}",
        "{{ {} | attr('x') }}",
        "{{ questions[99] }}",
        "{{ program.id.split(none, -5) }}",
        "{{ '%d' % 'a' }}",
        "{{ range(10) | list | random }}",
        "{{ response_due.isoformat() }}",
        "{{ letter_date.replace(year=0) }}",
        "{{ 9999999 | int | string | truncate(-1) }}",
        "{% for q in questions %}{{ q.text }}{% endfor %}",
        "{% if x %}",
        "{% endif %}",
        '{% include "a" %}',
        '{% import "a" as b %}',
        '{% extends "a" %}',
        '{% from "a" import b %}',
        "{% macro m() %}{{ caller() }}{% endmacro %}{{ m() }}",
        "{% set y = jurisdiction.__class__ %}{{ y }}",
        "{{ ''.__class__.__mro__ }}",
        "{# comment #}",
        "{%",
        "}}",
        "\n",
        "é",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(FRAGMENTS, max_size=6).map("".join))
def test_no_template_text_exits_70(template: str) -> None:
    """Any template text makes `programs check` exit 0 or 2 with one line, never 70."""
    with tempfile.TemporaryDirectory() as folder:
        code, _, err = check(write_program(Path(folder), template=template))
    assert code in {0, 2}, err
    assert err.count("\n") == (0 if code == 0 else 1)
