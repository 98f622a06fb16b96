"""One condition's status for one jurisdiction: the CEL context, the checks in order, the reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schemas.base.errors import InputError
from schemas.program.cel_cost import DATA_SIZE, data_size
from schemas.program.cel_expressions import (
    APPLIES_WHEN_VARIABLES,
    MET_WHEN_VARIABLES,
    compile_expression,
    expression_variables,
    make_context,
)
from schemas.rules.evaluation import ConditionResult, ConditionStatus
from schemas.rules.waivers import describe_waiver

if TYPE_CHECKING:
    from datetime import datetime

    from schemas.program.definition import Condition, Notice, RuleSet
    from schemas.program.jurisdiction import Jurisdiction
    from schemas.program.response import Response

__all__ = ["RuleEvaluationError", "condition_context", "condition_result"]


class RuleEvaluationError(InputError):
    """A condition's CEL expression failed or gave a non-boolean: the program needs fixing."""


def _run(source: str, which: str, context: Any, where: str) -> bool:  # noqa: ANN401 - cel.Context
    allowed = MET_WHEN_VARIABLES if which == "met_when" else APPLIES_WHEN_VARIABLES
    try:
        result = compile_expression(source, allowed).execute(context)
    except KeyError as error:
        raise RuleEvaluationError(f"{where}: {which} read a missing key {error}") from None
    except (RuntimeError, TypeError, ValueError, ArithmeticError) as error:
        raise RuleEvaluationError(f"{where}: {which} failed: {error}") from None
    if not isinstance(result, bool):
        raise RuleEvaluationError(f"{where}: {which} gave {result!r}, not true or false")
    return result


def condition_result(  # noqa: PLR0917 - the condition, its inputs and where it sits
    condition: Condition,
    jurisdiction: Jurisdiction,
    response: Response | None,
    waivers: tuple[Notice, ...],
    context: Any,  # noqa: ANN401 - a cel.Context
    where: str,
) -> ConditionResult:
    """The status of one condition, in order: not applicable, waived, unanswered, met or unmet."""

    def result(
        status: ConditionStatus, reason: str, waived_by: str | None = None
    ) -> ConditionResult:
        return ConditionResult(
            id=condition.id,
            title=condition.title,
            source=condition.source,
            status=status,
            reason=reason,
            waived_by=waived_by,
        )

    applies = condition.applies_when
    if applies is not None and not _run(applies, "applies_when", context, where):
        return result(
            ConditionStatus.NOT_APPLICABLE,
            f"does not apply to {jurisdiction.name} ({applies} is false)",
        )
    for waiver in waivers:
        if condition.id in waiver.waives:
            return result(ConditionStatus.WAIVED, describe_waiver(waiver), waiver.id)
    if response is None:
        return result(ConditionStatus.UNANSWERED, "no response received")
    missing = [question for question in condition.questions if question not in response.answers]
    if missing:
        return result(ConditionStatus.UNANSWERED, "; ".join(f"{q}: not answered" for q in missing))
    answered = "; ".join(
        f"{q}: answered {response.answers[q].answer.value!r}" for q in condition.questions
    )
    if _run(condition.met_when, "met_when", context, where):
        return result(ConditionStatus.MET, answered or "met")
    unmet = f"{answered}; {condition.reason_unmet}" if answered else condition.reason_unmet
    return result(ConditionStatus.UNMET, unmet if answered else f"{condition.title}: {unmet}")


def _variables_read(rule_set: RuleSet) -> set[str]:
    """Every variable the rule set reads; an expression beyond the budget fails here, at once."""
    needed: set[str] = set()
    for condition in rule_set.conditions:
        for source in (condition.met_when, condition.applies_when):
            if source is None:
                continue
            try:
                needed |= expression_variables(source)
            except ValueError as error:
                raise RuleEvaluationError(f"condition {condition.id}: {error}") from None
    return needed


def _check_sizes(variables: dict[str, Any]) -> None:
    """The static cost bound (schemas/program/cel_cost.py) holds only if no variable holds more."""
    for name, value in variables.items():
        if data_size(value) > DATA_SIZE:
            raise RuleEvaluationError(
                f"{name} holds more than {DATA_SIZE} values, the evaluation budget"
            )


def condition_context(
    rule_set: RuleSet, jurisdiction: Jurisdiction, response: Response | None, as_of: datetime
) -> Any:  # noqa: ANN401 - a cel.Context
    """A CEL context with only the variables the rule set reads (converting is the costly part)."""
    needed = _variables_read(rule_set)
    variables: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    if response is not None and needed & {"answers", "response"}:
        answers = {q: answer.model_dump(mode="json") for q, answer in response.answers.items()}
    if "answers" in needed:
        variables["answers"] = answers
    if "response" in needed:
        document = None
        if response is not None:
            document = response.model_dump(mode="json") | {"answers": answers}
            document["received_at"] = response.received_at
        variables["response"] = document
    if "jurisdiction" in needed:
        variables["jurisdiction"] = jurisdiction.model_dump(mode="json")
    if "as_of" in needed:
        variables["as_of"] = as_of
    _check_sizes(variables)
    return make_context(variables)
