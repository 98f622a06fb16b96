"""Commits seal a hash chain; folding them yields the review's state."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from enum import IntEnum, StrEnum

import pytest

from schemas.base.canonical import CanonicalFormError, canonical_json
from schemas.events.catalog import LetterSent, ResponseReceived
from schemas.log.commit import GENESIS, commit_hash, parse_commit, seal_commit
from schemas.log.state import Step, StreamState, advance, fold
from schemas.log.streams import StreamId, commit_key, parse_commit_key
from schemas.program.response import Answer, AnswerValue, Respondent

STREAM = StreamId(program="psp-2017", jurisdiction="stockton-ca")
T0 = datetime(2017, 8, 3, 12, tzinfo=UTC)


def _letter() -> LetterSent:
    return LetterSent(
        letter_sha256="a" * 64,
        letter_date=date(2017, 8, 3),
        response_due=date(2017, 8, 18),
        delivery="none",
    )


def _response(sha: str) -> ResponseReceived:
    return ResponseReceived(
        response_sha256=sha,
        received_at=T0,
        respondent=Respondent(name="Chief", title="Chief of Police"),
        answers={"detention_access": Answer(answer=AnswerValue.NOT_APPLICABLE)},
    )


def test_canonical_json_is_sorted_compact_and_float_free() -> None:
    """Canonical JSON sorts keys, drops white space, keeps UTF-8 and refuses floats."""
    assert (
        canonical_json({"b": 1, "a": ["é", None, True]}) == '{"a":["é",null,true],"b":1}'.encode()
    )
    with pytest.raises(CanonicalFormError):
        canonical_json({"x": 1.5})


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"x": 1.5}, "$.x"),
        ({"a": [1, {"b": [True, 2.0]}]}, "$.a[1].b[1]"),
        ([{"k": None}, {1: "one"}], "$[1]"),
        ((("deep",) * 3, {"s": {1, 2}}), "$[1].s"),
        ({"fine": "yes", "nan": float("nan")}, "$.nan"),
    ],
)
def test_values_without_a_canonical_form_are_refused_where_they_are(
    value: object, where: str
) -> None:
    """Floats, non-string keys and non-JSON types are refused at any depth, named by path."""
    with pytest.raises(CanonicalFormError, match=rf"^{re.escape(where)}: "):
        canonical_json(value)


def test_subclasses_of_json_types_have_a_canonical_form() -> None:
    """A StrEnum or IntEnum value serializes as its string or integer."""

    class Colour(StrEnum):
        RED = "red"

    class Size(IntEnum):
        BIG = 3

    assert canonical_json({Colour.RED: [Colour.RED, Size.BIG]}) == b'{"red":["red",3]}'


def test_seal_links_commits_and_hash_covers_content() -> None:
    """Each commit's hash covers its content and the next commit points at it."""
    first = seal_commit(
        stream=STREAM,
        seq=0,
        prev=GENESIS,
        idempotency_key="letter",
        payloads=[_letter()],
        time=T0,
        actor="test",
    )
    second = seal_commit(
        stream=STREAM,
        seq=1,
        prev=first.hash,
        idempotency_key="response:x",
        payloads=[_response("b" * 64)],
        time=T0,
        actor="test",
    )
    assert commit_hash(first.document) == first.hash
    assert all(event["grhash"] == first.hash for event in first.events)
    assert second.events[0]["grprev"] == first.hash
    tampered = first.document | {"idempotency_key": "other"}
    assert commit_hash(tampered) != first.hash
    assert parse_commit(first.to_bytes()) == first


def test_event_ids_repeat_for_the_same_idempotency_key() -> None:
    """A retried write produces the same event ids, so the commit is recognisably the same."""
    one = seal_commit(
        stream=STREAM,
        seq=0,
        prev=GENESIS,
        idempotency_key="letter",
        payloads=[_letter()],
        time=T0,
        actor="a",
    )
    two = seal_commit(
        stream=STREAM,
        seq=0,
        prev=GENESIS,
        idempotency_key="letter",
        payloads=[_letter()],
        time=datetime(2020, 1, 1, tzinfo=UTC),
        actor="b",
    )
    assert one.events[0]["id"] == two.events[0]["id"]


def test_fold_tracks_steps_and_amendments() -> None:
    """Folding letter, response and amendment gives the latest evidence and the right step."""
    first = seal_commit(
        stream=STREAM,
        seq=0,
        prev=GENESIS,
        idempotency_key="letter",
        payloads=[_letter()],
        time=T0,
        actor="t",
    )
    state = fold(STREAM, [first])
    assert state.step is Step.LETTER_SENT
    second = seal_commit(
        stream=STREAM,
        seq=1,
        prev=first.hash,
        idempotency_key="response:b",
        payloads=[_response("b" * 64)],
        time=T0,
        actor="t",
    )
    state = fold(STREAM, [second], state)
    assert state.step is Step.RESPONSE_RECEIVED
    assert state.response_sha == "b" * 64
    assert state.head_seq == 1
    assert state.idempotency_keys == {"letter", "response:b"}


def test_commit_keys_round_trip_and_reject_strangers() -> None:
    """Commit keys are zero-padded and parse back; anything else is not a commit key."""
    key = commit_key("p/", STREAM, 7)
    assert key == "p/streams/psp-2017/stockton-ca/00000000000000000007.json"
    assert parse_commit_key("p/", key) == (STREAM, 7)
    assert parse_commit_key("p/", "p/streams/psp-2017/Stockton/00000000000000000007.json") is None
    assert parse_commit_key("p/", "p/streams/psp-2017/stockton-ca/7.json") is None


def test_advance_with_typed_payloads_equals_folding_the_stored_commit() -> None:
    """A writer's shortcut (no decoding) reaches the state a reader folds from the bytes."""
    east = timezone(timedelta(hours=-5))
    payloads = [
        _letter(),
        _response("c" * 64).model_copy(update={"received_at": T0.astimezone(east)}),
    ]
    start = StreamState(stream=STREAM)
    commit = seal_commit(
        stream=STREAM,
        seq=0,
        prev=GENESIS,
        idempotency_key="letter-and-response",
        payloads=payloads,
        time=T0.astimezone(east),
        actor="test",
    )
    stored = parse_commit(commit.to_bytes())
    advanced = advance(start, commit.head, payloads)
    assert advanced == fold(STREAM, [stored], start)
    assert advanced.step is Step.RESPONSE_RECEIVED
    assert advanced.head_hash == stored.hash
