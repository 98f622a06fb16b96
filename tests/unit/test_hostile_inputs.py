"""Hostile input never crashes the parsers: it is accepted or refused with an InputError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.base.errors import InputError
from schemas.base.ids import InvalidIdError, check_slug
from schemas.planning.registry import RegistryImportError, parse_jurisdictions_csv
from schemas.program.response import ResponseError, parse_response

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_any_bytes_parse_or_are_refused(raw: bytes) -> None:
    """Arbitrary bytes as a response either parse or raise ResponseError, nothing else."""
    try:
        parse_response(raw)
    except ResponseError as error:
        message = str(error)
    else:
        message = "accepted"
    assert message


@given(json_values)
@settings(max_examples=300, deadline=None)
def test_any_json_document_parses_or_is_refused(document: object) -> None:
    """Any JSON document (wrong types, missing or extra fields) is accepted or refused cleanly."""
    try:
        parse_response(json.dumps(document).encode())
    except ResponseError as error:
        message = str(error)
    else:
        message = "accepted"
    assert message


@given(st.text(max_size=1000))
@settings(max_examples=300, deadline=None)
def test_ids_are_slugs_or_refused(text: str) -> None:
    """Every string is a valid slug (ASCII, 1-64 chars) or refused with InvalidIdError."""
    try:
        assert check_slug(text) == text
    except InvalidIdError:
        return
    assert text.isascii()
    assert 1 <= len(text) <= 64
    assert "/" not in text
    assert ".." not in text


@pytest.mark.parametrize(
    "text", ["../x", "a/b", "st\u043eckton-ca", "Stockton", "a" * 1000, "", "-a", "a-"]
)
def test_known_bad_ids_are_refused(text: str) -> None:
    """Path tricks, look-alikes, uppercase, 1,000 characters and edge hyphens are refused."""
    with pytest.raises(InvalidIdError):
        check_slug(text)


@given(st.binary(max_size=3000))
@settings(max_examples=200, deadline=None)
def test_any_csv_bytes_parse_or_are_refused(raw: bytes) -> None:
    """Arbitrary bytes as a CSV either parse or raise RegistryImportError."""
    try:
        parse_jurisdictions_csv(raw)
    except RegistryImportError as error:
        message = str(error)
    else:
        message = "accepted"
    assert message


@pytest.mark.parametrize("path", sorted((CORPUS / "responses").iterdir()), ids=lambda p: p.name)
def test_response_corpus_is_refused(path: Path) -> None:
    """Each kept hostile response file is refused with a message, never a crash."""
    with pytest.raises(InputError) as refused:
        parse_response(path.read_bytes())
    assert str(refused.value)


@pytest.mark.parametrize("path", sorted((CORPUS / "csv").iterdir()), ids=lambda p: p.name)
def test_csv_corpus_is_refused(path: Path) -> None:
    """Each kept hostile CSV is refused with a message naming the problem."""
    with pytest.raises(RegistryImportError) as refused:
        parse_jurisdictions_csv(path.read_bytes())
    assert str(refused.value)
