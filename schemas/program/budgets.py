"""The budgets a program must fit: CEL rule cost and letter-template rendering work.

Public home of `schemas.program.cel_cost` and `schemas.program.template_budget`
(see programs/README.md).
"""

from __future__ import annotations

from schemas.program.cel_cost import (
    COST_BUDGET,
    DATA_SIZE,
    MAX_EXPRESSION_CHARS,
    CelBudgetError,
    cost_bound,
    data_size,
)
from schemas.program.cel_expressions import compile_expression
from schemas.program.template_budget import (
    MAX_OUTPUT_CHARS,
    MAX_RANGE,
    MAX_STEPS,
    TemplateBudgetError,
    done,
    rendering,
)

__all__ = [
    "COST_BUDGET",
    "DATA_SIZE",
    "MAX_EXPRESSION_CHARS",
    "MAX_OUTPUT_CHARS",
    "MAX_RANGE",
    "MAX_STEPS",
    "CelBudgetError",
    "TemplateBudgetError",
    "compile_expression",
    "cost_bound",
    "data_size",
    "done",
    "rendering",
]
