"""CEL rules have a cost budget: expensive programs are refused at load, and fail fast after.

No timers: each hostile expression is shown to be refused (the refusal is the behaviour),
so evaluation never starts the work that hung `respond` past 90 s.
"""

from __future__ import annotations

from typing import Any

import pytest

from schemas.program.budgets import (
    COST_BUDGET,
    DATA_SIZE,
    CelBudgetError,
    compile_expression,
    cost_bound,
    data_size,
)
from schemas.program.definition import Program, ProgramBundle, ProgramError
from schemas.rules.engine import RuleEvaluationError
from tests.unit.test_rules import condition, demo_bundle, run

HUNDRED = "[" + ",".join(str(number) for number in range(100)) + "]"
FOUR_NESTED = (
    f"{HUNDRED}.all(a, {HUNDRED}.all(b, {HUNDRED}.all(c, {HUNDRED}.all(d, "
    "a + b + c + d >= 0)))) && answers.q1.answer == 'yes'"
)
HOSTILE = {
    "four-nested-all": FOUR_NESTED,
    "three-nested-exists": f"{HUNDRED}.exists(a, {HUNDRED}.exists(b, {HUNDRED}.exists(c, false)))",
    "doubling-maps": "[[1, 2, 3]]"
    + "".join(f".map(x{i}, x{i} + x{i} + x{i})" for i in range(6))
    + ".size() > 0",
    "nested-over-answers": "answers.all(k, answers.all(j, response.answers.all(i, k != j)))",
    "deep-parentheses": "(" * 1000 + "true" + ")" * 1000,
    "long": " || ".join(["true"] * 1500),
}


def one_rule(met_when: str) -> list[dict[str, Any]]:
    """A single rule set whose one condition reads q1 with `met_when`."""
    return [
        {
            "version": 1,
            "effective_from": "2017-01-01",
            "conditions": [condition("first", "q1", met_when)],
        }
    ]


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_expressions_exceed_the_budget(source: str) -> None:
    """Nesting, doubling, data walked twice, deep parentheses and sheer length are refused."""
    with pytest.raises(CelBudgetError):
        cost_bound(source)


@pytest.mark.parametrize(
    "source",
    [
        'answers.q1.answer == "yes"',
        'jurisdiction.state != "PR" && as_of > timestamp("2017-01-01T00:00:00Z")',
        f"{HUNDRED}.all(a, {HUNDRED}.exists(b, a == b))",
        'answers.all(k, answers[k].answer in ["yes", "partial"])',
        'has(answers.q1.citation) ? answers.q1.citation.matches("^[0-9]") : false',
        "[[1, 2], [3]].map(x, x.size()).filter(n, n > 1).size() == 1",
    ],
)
def test_ordinary_expressions_are_within_the_budget(source: str) -> None:
    """Comparisons, one walk over the answers and two nested walks of 100 stay within it."""
    assert 0 < cost_bound(source) <= COST_BUDGET


def test_expensive_program_is_refused_at_load() -> None:
    """The program with four nested alls over 100 elements is refused, naming the entry."""
    with pytest.raises(ProgramError) as refused:
        demo_bundle(rule_sets=one_rule(FOUR_NESTED), court_orders=[], notices=[])
    message = str(refused.value)
    assert "rule_sets[0].conditions[0] (first): met_when may take up to " in message
    assert f"the budget is {COST_BUDGET:,}" in message
    assert "\n" not in message


def test_expensive_program_that_got_past_fails_fast_at_evaluation() -> None:
    """A program built without validation (an old stored copy) fails with one line, not a hang."""
    bundle = demo_bundle()
    rule_set = bundle.program.rule_sets[0]
    first = rule_set.conditions[0].model_copy(update={"met_when": FOUR_NESTED})
    rule_sets = (rule_set.model_copy(update={"conditions": (first,)}),)
    program = Program.model_construct(**{**dict(bundle.program), "rule_sets": rule_sets})
    unchecked = ProgramBundle.model_construct(program=program, files={})
    with pytest.raises(RuleEvaluationError, match="may take up to") as refused:
        run("other", "2017-08-10", bundle=unchecked, q1="yes")
    assert "\n" not in str(refused.value)


def test_deep_nesting_is_refused_not_a_crash() -> None:
    """A thousand nested parentheses are refused with a message, never a stack overflow."""
    with pytest.raises(ValueError, match=r"[Rr]ecursion limit|nested more than"):
        compile_expression("(" * 1000 + "true" + ")" * 1000, frozenset())


def test_data_beyond_the_bound_is_counted_as_too_big() -> None:
    """The run-time guard: large maps and any list exceed what the static bound assumes."""
    assert data_size({"a": {"b": 1}}) == 5  # two maps, two keys, one value
    assert data_size({str(key): key for key in range(DATA_SIZE)}) > DATA_SIZE
    assert data_size({"a": [1]}) > DATA_SIZE
