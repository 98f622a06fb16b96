"""Jurisdiction CSVs are parsed strictly and re-imports record nothing new."""

from __future__ import annotations

import pytest

from schemas.registry import RegistryImportError, parse_jurisdictions_csv, plan_import

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
