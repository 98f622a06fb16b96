"""Jurisdiction CSVs are parsed strictly and re-imports record nothing new."""

from __future__ import annotations

import pytest

from schemas.planning.registry import RegistryImportError, parse_jurisdictions_csv, plan_import

GOOD = b'slug,name,state,geoid,extra\nstockton-ca,"Stockton, CA",CA,0675000,x\n'


def test_good_csv_parses_and_ignores_extra_columns() -> None:
    """A file with the four required columns parses; extra columns are ignored."""
    rows = parse_jurisdictions_csv(GOOD)
    assert [(row.slug, row.geoid) for row in rows] == [("stockton-ca", "0675000")]


def test_reimport_of_same_rows_plans_nothing() -> None:
    """Rows already in the registry, unchanged, are not recorded again."""
    rows = parse_jurisdictions_csv(GOOD)
    draft = plan_import({}, rows, "s" * 64)
    assert draft is not None
    assert plan_import({row.slug: row for row in rows}, rows, "s" * 64) is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"slug,name,state\nx,y,CA\n", "header lacks geoid"),
        (b"slug,name,state,geoid\nBad Slug,y,CA,06\n", "line 2: slug"),
        (b"slug,name,state,geoid\na,y,CA,06\na,z,CA,06\n", "line 3: slug 'a' repeats line 2"),
        (b"slug,name,state,geoid\na,=HYPERLINK(1),CA,06\n", "spreadsheet formula"),
        (b"slug,name,state,geoid\na,y,California,06\n", "line 2: state"),
        (b"slug,name,state,geoid\na,\xff,CA,06\n", "not valid UTF-8"),
    ],
)
def test_bad_csv_is_refused_with_the_line(body: bytes, message: str) -> None:
    """Each bad row refuses the whole file with a message naming the line and the problem."""
    with pytest.raises(RegistryImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_jurisdictions_csv(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'slug,name,state,geoid\na, =HYPERLINK("x"),CA,06\n', "line 2: name ' =HYPERLINK"),
        (b"slug,name,state,geoid\na,\xc2\xa0=1+1,CA,06\n", "spreadsheet formula"),
        (b'slug,name,state,geoid\na,"\n=1+1",CA,06\n', "control character U+000A"),
        (b"slug,name,state,geoid\na,\xef\xbc\x9d1+1,CA,06\n", "spreadsheet formula"),
        (b"slug,name,state,geoid\na,\xef\xbc\x8b1,CA,06\n", "spreadsheet formula"),
        (b"slug,name,state,geoid,name\na,Good,CA,06,Other\n", "column 'name' twice"),
        (b"slug,name,state,geoid\na,Stock\x00ton,CA,06\n", "NUL character"),
    ],
    ids=[
        "space-equals",
        "nbsp-equals",
        "newline-equals",
        "fullwidth-equals",
        "fullwidth-plus",
        "duplicate-header",
        "nul",
    ],
)
def test_normalised_formula_and_hidden_characters_are_refused(body: bytes, message: str) -> None:
    """Values are normalised (NFKC, strip) before the formula guard; NULs, twin headers fail."""
    with pytest.raises(RegistryImportError, match=message.replace("(", r"\(").replace("+", r"\+")):
        parse_jurisdictions_csv(body)


def test_values_are_stored_normalised() -> None:
    """Surrounding spaces are stripped and compatibility forms folded (NFKC) before storing."""
    rows = parse_jurisdictions_csv("slug,name,state,geoid\na,  \uff33tockton ,CA,06\n".encode())
    assert rows[0].name == "Stockton"
