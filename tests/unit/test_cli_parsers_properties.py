"""Property: generated input through the real parsers and the CLI never gives exit 70.

Bad input is an InputError (exit 2) and nothing is written; anything else parses.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import parse_moment, parse_slugs
from infra.files.programs import load_program
from schemas.base.errors import InputError
from schemas.planning.registry import parse_jurisdictions_csv
from schemas.program.response import parse_response
from tests.unit.test_exit_codes import run_main

ROOT = Path(__file__).resolve().parents[2]
BOUNDED = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

dates = st.one_of(
    st.text(max_size=40),
    st.dates().map(lambda day: day.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31", "9999-12-31T23:59:59-14:00"]),
)
slugs = st.one_of(st.text(max_size=70), st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True))
numbers = st.one_of(st.integers(), st.just("1" * 5000), st.just("[" * 2000 + "]" * 2000))


@given(text=dates)
@BOUNDED
def test_dates_parse_or_are_bad_input(text: str) -> None:
    """Every date text parses into the window or is an InputError."""
    try:
        moment = parse_moment(text)
    except InputError:
        return
    assert moment is not None
    assert moment.tzinfo is not None


@given(values=st.lists(slugs, max_size=3))
@BOUNDED
def test_slugs_parse_or_are_bad_input(values: list[str]) -> None:
    """Slug lists are checked whole or refused with an InputError."""
    with contextlib.suppress(InputError):
        assert parse_slugs(values) == values


@given(value=numbers, when=dates)
@BOUNDED
def test_response_files_parse_or_are_bad_input(value: str | int, when: str) -> None:
    """Huge numbers, deep nesting and any received_at give a response or an InputError."""
    raw = (
        '{{"jurisdiction": "stockton-ca", "program": "psp-2017", "received_at": "{}",'
        ' "respondent": {{"name": "A", "title": "B"}}, "answers": {{"q": {}}}}}'
    ).format(when.replace("\\", "").replace('"', ""), value)
    with contextlib.suppress(InputError):
        parse_response(raw.encode())


@given(body=st.text(max_size=300))
@BOUNDED
def test_csv_files_parse_or_are_bad_input(body: str) -> None:
    """Any CSV text is imported or refused with an InputError."""
    with contextlib.suppress(InputError):
        parse_jurisdictions_csv(("slug,name,state\n" + body).encode())


@given(snippet=st.one_of(st.text(max_size=200), numbers.map(lambda n: f"extra: {n}")))
@BOUNDED
def test_program_yaml_snippets_load_or_are_bad_input(tmp_path: Path, snippet: str) -> None:
    """program.yaml with a generated line appended loads or is refused with an InputError."""
    folder = tmp_path / "psp-2017"
    folder.mkdir(exist_ok=True)
    source = ROOT / "programs" / "psp-2017"
    for item in source.iterdir():
        if item.is_file():
            (folder / item.name).write_bytes(item.read_bytes())
    path = folder / "program.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + snippet + "\n", encoding="utf-8")
    with contextlib.suppress(InputError):
        load_program(tmp_path, "psp-2017")


@given(as_of=dates, known_at=dates, slug=slugs)
@BOUNDED
def test_cli_never_exits_70_and_writes_nothing_on_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    as_of: str,
    known_at: str,
    slug: str,
) -> None:
    """`audit replay` with generated dates and slugs exits 2 (or 3), one line, never 70."""
    before = sorted(tmp_path.rglob("*"))
    monkeypatch.setenv("GRANTREVIEW_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    args = ["audit", "replay", "--as-of", as_of, "--known-at", known_at]
    args += ["--jurisdiction", slug, "--verify-key", str(tmp_path / "absent.json")]
    args += ["--report", str(tmp_path / "r.html")]
    code, err = run_main(monkeypatch, capsys, *args)
    assert code in {2, 3}, err
    assert err.count("\n") >= 1
    assert "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before
