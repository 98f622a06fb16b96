"""A jurisdiction's written response: parsed strictly from the bytes it arrived as."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.base.errors import InputError
from schemas.base.ids import Slug
from schemas.base.timewindow import check_moment

__all__ = [
    "MAX_RESPONSE_BYTES",
    "Answer",
    "AnswerValue",
    "Instrument",
    "Respondent",
    "Response",
    "ResponseError",
    "parse_response",
]

MAX_RESPONSE_BYTES = 1024 * 1024


class ResponseError(InputError):
    """A response file that cannot be accepted; the message names the problem."""


class AnswerValue(StrEnum):
    """What a jurisdiction said to one question."""

    YES = "yes"
    NO = "no"
    PARTIAL = "partial"
    NOT_APPLICABLE = "not_applicable"


class Instrument(StrEnum):
    """The kind of instrument an answer cites (the letters' own list)."""

    STATUTE = "statute"
    RULE = "rule"
    REGULATION = "regulation"
    POLICY = "policy"
    PRACTICE = "practice"


class Answer(BaseModel):
    """One answer with the instrument and who controls the facility, as stated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer: AnswerValue
    instrument: Instrument | None = None
    controlled_by: str | None = Field(default=None, max_length=2000)
    citation: str | None = Field(default=None, max_length=2000)
    text: str | None = Field(default=None, max_length=100_000)


class Respondent(BaseModel):
    """Who signed the response."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)


class Response(BaseModel):
    """The response file (see README): strict, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    jurisdiction: Slug
    program: Slug
    received_at: AwareDatetime
    respondent: Respondent
    answers: dict[str, Answer]

    @field_validator("received_at")
    @classmethod
    def _in_window(cls, value: AwareDatetime) -> AwareDatetime:
        """A date near year 1 or 9999 overflows once a deadline is added: refused here."""
        return check_moment(value, "received_at")

    def check_against(self, *, program: str, jurisdiction: str, question_ids: set[str]) -> None:
        """Refuse a response for another stream or one that answers questions never asked."""
        if self.program != program:
            raise ResponseError(f"response is for program {self.program!r}, not {program!r}")
        if self.jurisdiction != jurisdiction:
            raise ResponseError(
                f"response is for jurisdiction {self.jurisdiction!r}, not {jurisdiction!r}"
            )
        unknown = sorted(set(self.answers) - question_ids)
        if unknown:
            raise ResponseError(
                f"unknown question id(s) {', '.join(map(repr, unknown))} for program {program!r}; "
                f"expected some of {', '.join(sorted(question_ids))}"
            )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ResponseError(f"duplicate key {key!r} in response JSON")
        seen[key] = value
    return seen


def _no_constants(name: str) -> Any:  # noqa: ANN401 - json hook signature
    raise ResponseError(f"{name} is not valid JSON")


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "response"
    return f"{where}: {first['msg']}"


def parse_response(raw: bytes) -> Response:
    """Parse response bytes strictly: size, UTF-8, JSON, then the schema."""
    if len(raw) > MAX_RESPONSE_BYTES:
        raise ResponseError(
            f"response is {len(raw)} bytes; the limit is {MAX_RESPONSE_BYTES} bytes (1 MiB)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ResponseError(f"response is not valid UTF-8 (byte {error.start})") from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise ResponseError(
            f"response is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise ResponseError("response JSON is nested too deeply") from None
    except ResponseError:
        raise
    except ValueError:  # an integer literal past Python's int max str digits (4300)
        raise ResponseError("response JSON holds a number too long to read") from None
    if not isinstance(data, dict):
        raise ResponseError("response must be a JSON object")
    try:
        return Response.model_validate_json(text, strict=True)
    except ValidationError as error:
        raise ResponseError(_first_error(error)) from None
