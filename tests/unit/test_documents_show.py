"""`documents show` finds the stored letter, notice or response the log cites."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.runtime import Runtime
from schemas.base.canonical import sha256_hex
from schemas.base.errors import InputError
from tests.unit.test_report_standing import _awaiting_information
from tests.unit.test_stage_replay import runtime
from usecases.documents import find_document

__all__ = ["runtime"]  # the fixture, imported for pytest

PROGRAM, SLUG = "staged-person", "stockton-ca"


def test_each_kind_is_the_stored_bytes_the_log_cites(runtime: Runtime, tmp_path: Path) -> None:
    """The letter, the response as sent, and the newest notice; each hashes to its address."""
    _awaiting_information(runtime, tmp_path)
    letter = find_document(runtime, PROGRAM, SLUG, kind="letter")
    assert (letter.seq, letter.kind) == (0, "letter")
    assert b"Stockton" in letter.body
    response = find_document(runtime, PROGRAM, SLUG, kind="response")
    sent = (tmp_path / f"{PROGRAM}-{SLUG}-yes.json").read_bytes()
    assert response.body == sent
    newest = find_document(runtime, PROGRAM, SLUG)
    assert newest.kind.endswith("notice")
    assert newest.seq > response.seq
    for found in (letter, response, newest):
        assert sha256_hex(found.body) == found.sha256
    assert find_document(runtime, PROGRAM, SLUG, seq=letter.seq) == letter


def test_wrong_requests_are_refused_in_one_line(runtime: Runtime, tmp_path: Path) -> None:
    """An unknown kind, a commit with no document, or a typo in the slug: exit 2."""
    _awaiting_information(runtime, tmp_path)
    with pytest.raises(InputError, match="--kind 'memo'"):
        find_document(runtime, PROGRAM, SLUG, kind="memo")
    with pytest.raises(InputError, match="at commit 99"):
        find_document(runtime, PROGRAM, SLUG, seq=99)
    with pytest.raises(InputError, match="stockon-ca"):
        find_document(runtime, PROGRAM, "stockon-ca")
