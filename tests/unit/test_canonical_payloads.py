"""Typed dumps are canonical by construction: why sealing may skip the float walk.

`seal_commit` and `Evaluation.decision_id` serialize with `checked=True`: the walk that
refuses floats and non-string keys is skipped because every value they serialize is a
typed model's JSON dump, a string or an integer. These tests hold that premise: no event
payload or evaluation can carry a number that is not an integer, or an untyped value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from schemas.base.canonical import canonical_json
from schemas.events.catalog import EVENT_TYPES, LetterSent, ResponseReceived
from schemas.log.commit import GENESIS, commit_hash, seal_commit
from schemas.log.streams import StreamId
from schemas.program.response import Answer, AnswerValue, Respondent
from schemas.rules.evaluation import Evaluation

TYPED_DUMPS: list[type[BaseModel]] = [
    *(event for event in EVENT_TYPES.values() if event.CANONICAL_BY_TYPE),
    Evaluation,
]


def _untyped(node: Any, path: str) -> list[str]:  # noqa: ANN401 - a JSON schema node
    """Where a JSON schema admits a float or an untyped value."""
    if not isinstance(node, dict):
        return []
    found: list[str] = []
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "number" in kinds:
        found.append(f"{path}: number")
    shaped = {"type", "$ref", "anyOf", "allOf", "oneOf", "enum", "const"}
    if not shaped & node.keys():
        found.append(f"{path}: untyped")
    if node.get("additionalProperties") is True:
        found.append(f"{path}: open object")
    for name, sub in {**node.get("$defs", {}), **node.get("properties", {})}.items():
        found += _untyped(sub, f"{path}.{name}")
    for key in ("items", "additionalProperties"):
        found += _untyped(node.get(key), f"{path}[]")
    for key in ("anyOf", "allOf", "oneOf", "prefixItems"):
        for sub in node.get(key, []):
            found += _untyped(sub, path)
    return found


@pytest.mark.parametrize("model", TYPED_DUMPS, ids=lambda model: model.__name__)
def test_typed_dumps_hold_no_float_and_no_untyped_value(model: type[BaseModel]) -> None:
    """A payload field typed `float`, `Any` or an open dict would break `checked=True`."""
    assert _untyped(model.model_json_schema(mode="serialization"), model.__name__) == []


def test_event_types_that_are_not_closed_say_so() -> None:
    """Act events carry an open `params`: they are walked when sealed, and say so."""
    open_types = {name for name, event in EVENT_TYPES.items() if not event.CANONICAL_BY_TYPE}
    assert "grantreview.act.signed" in open_types
    for name in open_types:
        schema = EVENT_TYPES[name].model_json_schema(mode="serialization")
        assert _untyped(schema, name), f"{name} is closed: say CANONICAL_BY_TYPE"


def test_the_schema_walk_finds_what_it_looks_for() -> None:
    """The check above can fail: a float, an `Any` and an open dict are each found."""

    class Loose(BaseModel):
        ratio: float
        anything: Any
        extra: dict[str, Any]

    found = _untyped(Loose.model_json_schema(mode="serialization"), "Loose")
    assert found == ["Loose.ratio: number", "Loose.anything: untyped", "Loose.extra: open object"]


def test_a_sealed_commit_checked_and_walked_gives_the_same_bytes_and_hash() -> None:
    """Skipping the walk changes no byte: the sealed commit walks clean and hashes alike."""
    stream = StreamId(program="psp-2017", jurisdiction="stockton-ca")
    commit = seal_commit(
        stream=stream,
        seq=0,
        prev=GENESIS,
        idempotency_key="k",
        payloads=[
            LetterSent(
                letter_sha256="a" * 64,
                letter_date=date(2017, 8, 3),
                response_due=date(2017, 8, 18),
                delivery="none",
            ),
            ResponseReceived(
                response_sha256="b" * 64,
                received_at=datetime(2017, 8, 9, tzinfo=UTC),
                respondent=Respondent(name="Chief", title="Chief of Police"),
                answers={"detention_access": Answer(answer=AnswerValue.NOT_APPLICABLE)},
            ),
        ],
        time=datetime(2017, 8, 9, 12, tzinfo=UTC),
        actor="operator",
    )
    assert commit.to_bytes(checked=True) == commit.to_bytes() == canonical_json(commit.document)
    assert commit_hash(commit.document) == commit.hash
