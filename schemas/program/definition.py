"""A program cycle as policy data: questions, versioned rule sets, court orders and notices.

The YAML file policy analysts write (see programs/README.md) validates into
`Program`; `ProgramBundle` adds the letter template and is the exact document
an evaluation's `program_sha256` covers, so auditors replay from the stored copy.
"""

# No `from __future__ import annotations`: pydantic reads these annotations at runtime.
import functools
import itertools
import json
import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from schemas.base.canonical import canonical_json, sha256_hex
from schemas.base.errors import InputError
from schemas.base.ids import Slug
from schemas.people.acts import APPROVABLE
from schemas.program._policy_types import ConditionId, IsoDate, PolicyModel, QuestionId, Text
from schemas.program._validation import validated
from schemas.program.cel_expressions import (
    APPLIES_WHEN_VARIABLES,
    MET_WHEN_VARIABLES,
    CelBudgetError,
    CelCompileError,
    answer_references,
    compile_expression,
)
from schemas.program.footing import FactFooting, missing_footing
from schemas.program.orders import CourtOrder, Notice, Scope
from schemas.program.review_path import ReviewSpec, Stage

__all__ = [
    "PROGRAM_FORMAT",
    "Condition",
    "CourtOrder",
    "LetterSpec",
    "Notice",
    "Program",
    "ProgramBundle",
    "ProgramError",
    "ProgramKind",
    "Question",
    "ReviewSpec",
    "RuleSet",
    "Scope",
    "Stage",
    "check_footing",
    "parse_program",
]

PROGRAM_FORMAT = "grantreview.program/1"
MAX_APPROVALS = 10

# A relative path whose segments never start with a dot: no "..", no hidden files.
_RELATIVE_FILE = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$"


class ProgramError(InputError):
    """An invalid program; the message names the file, the entry and the problem."""


class ProgramKind(StrEnum):
    """How jurisdictions come into a program."""

    FORMULA_GRANT = "formula_grant"
    SELECTION = "selection"


class LetterSpec(PolicyModel):
    """The letter: its template (relative to the program folder) and response deadline.

    The deadline is a fixed `response_due` date or `response_within_days` of the
    letter's date: exactly one of the two.
    """

    template: str | None = Field(default=None, pattern=_RELATIVE_FILE)
    response_due: IsoDate | None = None
    response_within_days: int | None = Field(default=None, ge=1, le=365, strict=True)
    reminder_after_days: int | None = Field(default=None, ge=1, le=365, strict=True)

    @model_validator(mode="after")
    def _one_deadline(self) -> Self:
        if (self.response_due is None) == (self.response_within_days is None):
            raise ValueError("give exactly one of response_due and response_within_days")
        return self

    def due_for(self, letter_date: date) -> date:
        """The response deadline of a letter dated `letter_date`."""
        if self.response_due is not None:
            return self.response_due
        return letter_date + timedelta(days=self.response_within_days or 0)


class Question(PolicyModel):
    """One question the letter asks, with where it comes from."""

    id: QuestionId
    text: Text
    source: Text


class Condition(PolicyModel):
    """One condition: met when `met_when` (CEL) is true, considered only if `applies_when` is."""

    id: ConditionId
    title: Text
    source: Text
    questions: tuple[QuestionId, ...] = ()
    met_when: Text
    applies_when: Text | None = None
    reason_unmet: Text


class RuleSet(FactFooting):
    """One version of the conditions, in force on [effective_from, effective_until).

    Its footing (sources, certainty) says whether the rule set is the program's text or
    our reading of it; optional, since a rule set without it is shown as not stated.
    """

    version: int = Field(ge=1, strict=True)
    effective_from: IsoDate
    effective_until: IsoDate | None = None
    decision: Literal["all_met"] = "all_met"
    conditions: tuple[Condition, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _interval(self) -> Self:
        if self.effective_until is not None and self.effective_until <= self.effective_from:
            raise ValueError("effective_until must be after effective_from")
        return self


class Program(PolicyModel):
    """One program cycle: the public interface policy analysts write as program.yaml."""

    id: Slug
    title: Text
    kind: ProgramKind
    interpretation: Text | None = None
    sources: tuple[Text, ...] = Field(min_length=1)
    letter: LetterSpec | None = None
    questions: tuple[Question, ...] = ()
    rule_sets: tuple[RuleSet, ...] = Field(min_length=1)
    court_orders: tuple[CourtOrder, ...] = ()
    notices: tuple[Notice, ...] = ()
    review: ReviewSpec | None = None
    approvals: dict[str, int] | None = None
    """How many people must agree on an act (`{determine: 2}`: the proposer and one more)."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_program(self)
        for act, count in (self.approvals or {}).items():
            if act not in APPROVABLE:
                allowed = ", ".join(sorted(APPROVABLE))
                message = f"approvals: {act!r} is not an act that takes approval ({allowed})"
                raise ValueError(message)
            if not 1 <= count <= MAX_APPROVALS:
                raise ValueError(f"approvals: {act}: {count} is not 1-{MAX_APPROVALS}")
        return self

    def question_ids(self) -> frozenset[str]:
        """Every question id the letter asks."""
        return frozenset(question.id for question in self.questions)

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError if the program has none)."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)


_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")

# Checks across a program's entries: each raises ValueError("<entry>: <problem>").


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


def _check_program(program: Program) -> None:
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


def _check_files(program: Program, files: dict[str, str]) -> None:
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


def _unset_additions(program: Program) -> dict[str, Any]:
    """Keys added after format 1 shipped, left out when unset: old programs keep their hash."""
    exclude: dict[str, Any] = {}
    if program.review is None:
        exclude["review"] = True
    if program.approvals is None:
        exclude["approvals"] = True
    if program.letter is not None and program.letter.response_within_days is None:
        exclude["letter"] = {"response_within_days"}
    for name in ("rule_sets", "court_orders", "notices"):
        facts: tuple[FactFooting, ...] = getattr(program, name)
        unset = {index: fact.footing_unset() for index, fact in enumerate(facts)}
        if any(unset.values()):
            exclude[name] = {index: keys for index, keys in unset.items() if keys}
    return exclude


def check_footing(program: Program, *, source: str) -> None:
    """Refuse a program folder whose orders or notices do not say their sources and certainty.

    Stored documents from before these keys existed are not checked: they replay as they were.
    """
    lists = (("court_orders", program.court_orders), ("notices", program.notices))
    for name, waivers in lists:
        for index, waiver in enumerate(waivers):
            problem = missing_footing(f"{name}[{index}] ({waiver.id})", waiver)
            if problem is not None:
                raise ProgramError(f"{source}: {problem}")


def parse_program(data: object, *, source: str) -> Program:
    """Validate loaded YAML/JSON data as a program; errors name `source`, the entry and problem."""
    return validated(Program, data, source=source, error=ProgramError)


class ProgramBundle(PolicyModel):
    """A program with its template files: the exact document evaluations cite by hash."""

    program: Program
    files: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _template_present(self) -> Self:
        _check_files(self.program, self.files)
        return self

    def document(self) -> bytes:
        """The canonical bytes of this bundle (what `sha256` covers)."""
        return canonical_json(
            {
                "format": PROGRAM_FORMAT,
                "program": self.program.model_dump(
                    mode="json", exclude=_unset_additions(self.program)
                ),
                "files": self.files,
            }
        )

    @functools.cached_property
    def sha256(self) -> str:
        """SHA-256 of `document()`, computed once per bundle (it is frozen)."""
        return sha256_hex(self.document())

    @classmethod
    def from_document(cls, raw: bytes, *, source: str = "program document") -> Self:
        """Parse and validate a stored `document()` (the inverse, for replay)."""
        try:
            data: Any = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ProgramError(f"{source}: not a program document: {error}") from None
        if not isinstance(data, dict) or data.get("format") != PROGRAM_FORMAT:
            raise ProgramError(f"{source}: not a {PROGRAM_FORMAT} document")
        if set(data) != {"format", "program", "files"}:
            raise ProgramError(f"{source}: expected exactly the keys files, format, program")
        program = parse_program(data["program"], source=source)
        files = data["files"]
        return validated(
            cls, {"program": program, "files": files}, source=source, error=ProgramError
        )
