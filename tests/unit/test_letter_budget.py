"""Letter templates render under a step and size budget: hostile templates are refused.

No timers: each hostile template is shown to be refused with TemplateBudgetError, which
stops rendering at the budget instead of running until memory or patience ends.
"""

from __future__ import annotations

from datetime import date

import pytest

from schemas.base.errors import InputError
from schemas.planning.letters import compile_template, render_letter
from schemas.program.budgets import TemplateBudgetError, done, rendering
from tests.unit.test_rules import PLACES, demo_bundle

HOSTILE = {
    "nested-range": "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}"
    "{% endfor %}",
    "nested-small-ranges": "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}"
    "{% endfor %}",
    "string-repeat": "{{ 'x' * 100000 * 100000 }}",
    "format-width": "{{ '%999999999s' % 'a' }}",
    "str-format-width": "{{ '{:>999999999}'.format('a') }}",
    "filter-width": "{{ 'a'|center(999999999) }}",
    "macro-doubling": "{% macro d(n) %}{% if n %}{% set x = d(n-1) %}{{ x ~ x }}{% else %}"
    "xxxxxxxx{% endif %}{% endmacro %}{{ d(60) }}",
    "macro-fan-out": "{% macro m(n) %}{% if n %}{{ m(n-1) }}{{ m(n-1) }}{% endif %}"
    "{% endmacro %}{{ m(40) }}",
    "namespace-doubling": "{% set ns = namespace(s='x') %}{% for i in range(100) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "power": "{{ 10 ** 100000 }}",
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_templates_are_refused(source: str) -> None:
    """Loops, repeats, widths, macro recursion and doubling stop at the budget."""
    token = rendering()
    try:
        with pytest.raises(TemplateBudgetError):
            compile_template(source).render(questions=[])
    finally:
        done(token)


def test_recursive_loops_are_refused_at_compile() -> None:
    """A recursive loop re-enters itself outside the loop budget, so it is refused up front."""
    with pytest.raises(TemplateBudgetError, match="recursive loops are not allowed"):
        compile_template("{% for q in questions recursive %}{{ loop(q) }}{% endfor %}")


def test_render_letter_fails_with_one_line() -> None:
    """Through render_letter, a hostile template is an InputError of one line (exit 2)."""
    bundle = demo_bundle()
    hostile = HOSTILE["nested-range"]
    letter = bundle.program.letter
    assert letter is not None
    program = bundle.program.model_copy(
        update={"letter": letter.model_copy(update={"template": "letter.md.j2"})}
    )
    unchecked = type(bundle).model_construct(program=program, files={"letter.md.j2": hostile})
    jurisdiction = PLACES["other"]
    with pytest.raises(InputError, match="letter template failed: range") as refused:
        render_letter(unchecked, jurisdiction, date(2017, 8, 1))
    assert "\n" not in str(refused.value)


def test_an_ordinary_letter_is_within_the_budget() -> None:
    """A loop over the questions with filters and a macro renders as before."""
    source = (
        "{% macro item(q) %}{{ q|upper }}{% endmacro %}"
        "{% for q in questions %}{{ loop.index }}. {{ item(q) }}\n{% endfor %}"
    )
    token = rendering()
    try:
        assert compile_template(source).render(questions=["a", "b"]) == "1. A\n2. B\n"
    finally:
        done(token)
