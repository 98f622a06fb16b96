"""Comparing a recorded evaluation with the re-derived one, in words an auditor reads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.rules.evaluation import Evaluation

__all__ = ["compare_evaluations", "differ"]


def _show(value: object) -> str:
    """A value as an auditor reads it: enum values bare, times in ISO form, tuples as lists."""
    if isinstance(value, StrEnum):
        return repr(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    return repr(value)


def differ(name: str, recorded: object, derived: object) -> str:
    """One difference: `name: recorded X, re-derived Y`."""
    return f"{name}: recorded {_show(recorded)}, re-derived {_show(derived)}"


def compare_evaluations(recorded: Evaluation, derived: Evaluation) -> list[str]:
    """Every difference, field by field and condition by condition, in plain words."""
    differences = [
        differ(name, getattr(recorded, name), getattr(derived, name))
        for name in (
            "outcome",
            "reasons",
            "rule_set_version",
            "program_sha256",
            "response_sha256",
            "as_of",
            "known_at",
            "orders_applied",
            "program",
            "jurisdiction",
        )
        if getattr(recorded, name) != getattr(derived, name)
    ]
    mine = {condition.id: condition for condition in recorded.conditions}
    theirs = {condition.id: condition for condition in derived.conditions}
    for cid in sorted(mine.keys() | theirs.keys()):
        if cid not in theirs or cid not in mine:
            where = "recorded only" if cid in mine else "re-derived only"
            differences.append(f"condition {cid}: {where}")
            continue
        for name in ("status", "reason", "waived_by", "title", "source"):
            a, b = getattr(mine[cid], name), getattr(theirs[cid], name)
            if a != b:
                differences.append(differ(f"condition {cid} {name}", a, b))
    return differences
