"""Checks across a program's entries, and messages naming the file, the entry and the problem."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from schemas.program.cel_expressions import (
    APPLIES_WHEN_VARIABLES,
    MET_WHEN_VARIABLES,
    CelBudgetError,
    CelCompileError,
    answer_references,
    compile_expression,
)

if TYPE_CHECKING:
    from schemas.program.definition import Condition, Program

__all__ = ["check_files", "check_program", "describe", "validated"]

_M = TypeVar("_M", bound=BaseModel)
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")


def _condition(entry: str, condition: Condition, defined: frozenset[str]) -> None:
    for question in condition.questions:
        if question not in defined:
            raise ValueError(f"{entry}: question {question!r} is not defined in questions")
    expressions = (
        ("met_when", condition.met_when, MET_WHEN_VARIABLES),
        ("applies_when", condition.applies_when, APPLIES_WHEN_VARIABLES),
    )
    for name, source, allowed in expressions:
        if source is None:
            continue
        try:
            compile_expression(source, allowed)
        except CelBudgetError as error:
            raise ValueError(f"{entry}: {name} {error}") from None
        except CelCompileError as error:
            raise ValueError(f"{entry}: {name} does not compile: {error}") from None
        for question in sorted(answer_references(source)):
            if question not in defined:
                raise ValueError(f"{entry}: {name} reads answers.{question}, which is not defined")
            if question not in condition.questions:
                raise ValueError(
                    f"{entry}: {name} reads answers.{question}; "
                    "list it in this condition's questions"
                )


def _rule_sets(program: Program) -> frozenset[str]:
    defined = program.question_ids()
    seen_versions: dict[int, int] = {}
    condition_ids: set[str] = set()
    for index, rule_set in enumerate(program.rule_sets):
        entry = f"rule_sets[{index}] (version {rule_set.version})"
        if rule_set.version in seen_versions:
            raise ValueError(f"{entry}: version {rule_set.version} is defined twice")
        seen_versions[rule_set.version] = index
        seen: set[str] = set()
        for position, condition in enumerate(rule_set.conditions):
            where = f"rule_sets[{index}].conditions[{position}] ({condition.id})"
            if condition.id in seen:
                raise ValueError(f"{where}: condition id {condition.id!r} is defined twice")
            seen.add(condition.id)
            _condition(where, condition, defined)
        condition_ids |= seen
    ordered = sorted(enumerate(program.rule_sets), key=lambda item: item[1].effective_from)
    for (_, earlier), (index, later) in itertools.pairwise(ordered):
        if earlier.effective_until is None or earlier.effective_until > later.effective_from:
            until = earlier.effective_until or "open"
            raise ValueError(
                f"rule_sets[{index}] (version {later.version}): overlaps version "
                f"{earlier.version} ({earlier.effective_from} to {until})"
            )
    return frozenset(condition_ids)


def check_program(program: Program) -> None:
    """Raise ValueError("<entry>: <problem>") for the first inconsistency between entries."""
    seen: set[str] = set()
    for index, question in enumerate(program.questions):
        if question.id in seen:
            raise ValueError(f"questions[{index}] ({question.id}): question id is defined twice")
        seen.add(question.id)
    condition_ids = _rule_sets(program)
    if program.review is not None and program.letter is None:
        raise ValueError("review: a review path needs a letter (its deadline starts it)")
    waiver_ids: set[str] = set()
    lists = (("court_orders", program.court_orders), ("notices", program.notices))
    for name, waivers in lists:
        for index, waiver in enumerate(waivers):
            entry = f"{name}[{index}] ({waiver.id})"
            if waiver.id in waiver_ids:
                raise ValueError(f"{entry}: id {waiver.id!r} is used twice")
            waiver_ids.add(waiver.id)
            for condition_id in waiver.waives:
                if condition_id not in condition_ids:
                    raise ValueError(f"{entry}: waives {condition_id!r}, which no rule set defines")


def check_files(program: Program, files: dict[str, str]) -> None:
    """Refuse a bundle whose files are not exactly the templates the program names."""
    for name in sorted(files):
        if _FILE_NAME.fullmatch(name) is None or ".." in name.split("/"):
            raise ValueError(f"files: {name!r} is not a relative file name inside the program")
    wanted = {program.letter.template} if program.letter and program.letter.template else set()
    for name in sorted(wanted - set(files)):
        raise ValueError(f"letter.template: template file {name!r} is missing")
    notice = program.review.notice_template if program.review else None
    if notice is not None:
        if notice not in files:
            raise ValueError(f"review.notice_template: template file {notice!r} is missing")
        wanted.add(notice)
    for name in sorted(set(files) - wanted):
        raise ValueError(f"files: {name!r} is not referenced by the program")


def _label(data: object, loc: tuple[int | str, ...]) -> str:
    node: Any = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return ""
    if isinstance(node, dict):
        if isinstance(node.get("id"), str):
            return f" ({node['id']})"
        if "version" in node:
            return f" (version {node['version']})"
    return ""


def _path(loc: tuple[int | str, ...]) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.removeprefix(".")


def describe(error: ValidationError, data: object, source: str) -> str:
    """One line: `source: entry (id): problem`, for the first validation error."""
    first = error.errors(include_url=False)[0]
    loc = tuple(first["loc"])
    kind = first["type"]
    if kind in {"extra_forbidden", "missing"}:
        split = len(loc) - 1
        what = "unknown key" if kind == "extra_forbidden" else "missing key"
        problem = f"{what} {loc[-1]!r}"
    else:
        indexes = [i for i, part in enumerate(loc) if isinstance(part, int)]
        split = indexes[-1] + 1 if indexes else 0
        cause = first.get("ctx", {}).get("error")
        message = str(cause) if kind == "value_error" and cause is not None else first["msg"]
        field = _path(loc[split:])
        problem = f"{field}: {message}" if field else message
    entry = _path(loc[:split])
    if entry and isinstance(loc[split - 1], int):
        entry += _label(data, loc[:split])
    return ": ".join(part for part in (source, entry, problem) if part)


def validated(model: type[_M], data: object, *, source: str, error: type[ValueError]) -> _M:
    """`model.model_validate(data)`, turning a ValidationError into `error` with a clear line."""
    try:
        return model.model_validate(data)
    except ValidationError as problem:
        raise error(describe(problem, data, source)) from None
