"""A program cycle as data: questions, rule sets, CEL and its budgets, orders, responses.

May import `schemas.base` and `schemas.people` (a program names who may act).
"""
