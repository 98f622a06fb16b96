"""Terminal output shows data inert: escape sequences visible, Rich markup as text (#13, M2/M3)."""

from __future__ import annotations

import pytest

from cli import safe_text
from cli.review import print_table

ESCAPES = "\x1b[2J\x1b]8;;https://evil.example\x07forged\x1b]8;;\x07"
MARKUP = "[/] [link=https://evil.example]click[/link] [bold red]loud"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("a\x07b\x08c\rd\x00e", "a\\x07b\\x08c\\x0dd\\x00e"),
        ("del\x7f csi\x9b nel\x85", "del\\x7f csi\\x9b nel\\x85"),
        ("Stock\u202eton", "Stock\\u202eton"),
        ("two\nlines\tand a tab", "two\nlines\tand a tab"),
        ("Stockton, CA [/] <img>", "Stockton, CA [/] <img>"),
        ("Zürich \u2013 東京", "Zürich \u2013 東京"),
    ],
)
def test_safe_text_shows_control_characters_as_escapes(raw: str, shown: str) -> None:
    """C0 (but newline and tab), DEL, C1 and bidi controls become visible; text stays as is."""
    assert safe_text(raw) == shown


def test_one_line_output_cannot_forge_a_row() -> None:
    """In one-line-per-item output, a newline or tab in a value is shown, not obeyed."""
    assert safe_text("a\nb\tc\x1b", one_line=True) == "a\\nb\\tc\\x1b"


def test_no_control_character_survives() -> None:
    """Every code point below U+00A0 but newline, tab and printable ASCII is escaped."""
    every = "".join(chr(code) for code in range(0xA0))
    shown = safe_text(every)
    assert all(char in "\n\t" or 0x20 <= ord(char) < 0x7F for char in shown)


def test_print_table_shows_markup_and_escapes_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    """A reason with `[/]` or `[link=...]` prints literally (it raised: exit 70); no ESC byte."""
    print_table(
        [
            {
                "jurisdiction": "evil-ca",
                "step": "decided",
                "decision": "ineligible",
                "reasons": [MARKUP, ESCAPES],
            }
        ]
    )
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "[/] [link=https://evil.example]click[/link]" in out
    assert "[bold red]loud" in out
    assert "\\x1b[2J\\x1b]8;;https://evil.example\\x07forged" in out
