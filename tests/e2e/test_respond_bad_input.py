"""Every bad response file is refused with exit 2, a message naming the problem, and no write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mypy_boto3_s3 import S3Client

from tests.conftest import Cli, count_objects

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"


def _valid() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / "stockton-ca.json").read_text())
    return document


def _with(**changes: Any) -> bytes:  # noqa: ANN401 - any JSON value
    document = _valid()
    document.update(changes)
    return json.dumps(document).encode()


def _answer(question: str, answer: object) -> bytes:
    document = _valid()
    document["answers"][question]["answer"] = answer
    return json.dumps(document).encode()


def _unknown_question() -> bytes:
    document = _valid()
    document["answers"]["sanctuary_policy"] = {"answer": "no"}
    return json.dumps(document).encode()


CASES: list[tuple[str, bytes, str]] = [
    ("unknown key", _with(signature="x"), "signature: Extra inputs are not permitted"),
    ("unknown question id", _unknown_question(), "unknown question id(s) 'sanctuary_policy'"),
    ("answer outside the list", _answer("detainer_hold", "maybe"), "answers.detainer_hold.answer"),
    ("other jurisdiction", _with(jurisdiction="baltimore-md"), "not 'stockton-ca'"),
    ("other program", _with(program="jag-fy2017"), "not 'psp-2017'"),
    ("over 1 MiB", _with(padding="x" * (1024 * 1024)), "the limit is 1048576 bytes"),
    ("invalid UTF-8", b'{"jurisdiction": "stockton-ca\xff"}', "not valid UTF-8"),
    ("invalid JSON", b'{"jurisdiction": ', "not valid JSON"),
    ("duplicate key", b'{"program": "psp-2017", "program": "psp-2017"}', "duplicate key 'program'"),
    ("NaN", b'{"answers": NaN}', "NaN is not valid JSON"),
]


@pytest.fixture
def imported(cli: Cli) -> None:
    """The four seed jurisdictions are in the registry."""
    assert cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv").code == 0


@pytest.mark.parametrize(("name", "body", "message"), CASES, ids=[case[0] for case in CASES])
def test_bad_response_is_refused(
    name: str,
    body: bytes,
    message: str,
    imported: None,
    cli: Cli,
    tmp_path: Path,
    operator_client: S3Client,
    s3_prefix: str,
) -> None:
    """A bad response file exits 2 with a message naming the problem and writes nothing."""
    path = tmp_path / "response.json"
    path.write_bytes(body)
    before = count_objects(operator_client, s3_prefix)
    result = cli("respond", "stockton-ca", "--program", "psp-2017", "--file", path)
    assert result.code == 2, (name, result)
    assert message in result.stderr, (name, result.stderr)
    assert "Traceback" not in result.stderr
    assert count_objects(operator_client, s3_prefix) == before


def test_unknown_jurisdiction_is_refused(
    imported: None, cli: Cli, tmp_path: Path, operator_client: S3Client, s3_prefix: str
) -> None:
    """A valid response for a jurisdiction never imported exits 2 and writes nothing."""
    path = tmp_path / "response.json"
    path.write_bytes(_with(jurisdiction="chicago-il"))
    before = count_objects(operator_client, s3_prefix)
    result = cli("respond", "chicago-il", "--program", "psp-2017", "--file", path)
    assert result.code == 2
    assert "never imported: chicago-il" in result.stderr
    assert count_objects(operator_client, s3_prefix) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("respond", "../x", "--program", "psp-2017", "--file", "r.json"), "invalid jurisdiction"),
        (("respond", "stockton-ca", "--program", "PSP", "--file", "r.json"), "invalid program id"),
        (("review", "--program", "psp-2017", "Stockton"), "invalid jurisdiction slug"),
        (("review", "--program", "no-such-program", "--all"), "no-such-program"),
        (("review", "--program", "psp-2017"), "name jurisdiction slugs or pass --all"),
        (("review", "--program", "psp-2017", "--all", "--as-of", "someday"), "--as-of"),
        (("status", "--program", "psp-2017", "a/b"), "invalid jurisdiction slug"),
    ],
)
def test_bad_ids_and_options_are_refused(
    args: tuple[str, ...], message: str, cli: Cli, operator_client: S3Client, s3_prefix: str
) -> None:
    """Malformed ids, unknown programs and bad options exit 2 before anything is written."""
    result = cli(*args)
    assert result.code == 2, result
    assert message in result.stderr
    assert count_objects(operator_client, s3_prefix) == 0
