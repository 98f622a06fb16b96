"""Letters and reminders carry hostile data as text: no tag, attribute or link reaches the mail."""

from __future__ import annotations

import html
from datetime import date
from html.parser import HTMLParser

import pytest

from infra.files.programs import load_program
from infra.platform.settings import REPO_PROGRAMS_DIR
from schemas.base.markup import escape_markdown, render_markdown_html
from schemas.planning.deadlines import render_reminder
from schemas.planning.letters import render_letter
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from tests.unit.test_review_planners import _lettered

HOSTILE_NAMES = [
    "<img src=x onerror=\"document.title='PWNED'\">",
    "<script>document.title='PWNED'</script>",
    "[click](javascript:alert(1))",
    "<javascript:alert(1)>",
    "![x](https://evil.example/pixel.png)",
    "**bold** _em_ `code` ~~gone~~ a|b",
    "# Heading",
    "1. listed",
    "- item",
    "=====",
    "> quoted",
    "&lt;b&gt; &amp; &#60;",
    "back\\slash\\",
    "[/] [link=https://evil.example]x[/link]",
    "line\n\n    indented\n# heading\n<img src=x onerror=alert(1)>",
    "<!-- a comment --> after",
]
TEXT_TAGS = {"p", "strong", "em", "ol", "ul", "li", "hr", "br"}
"""The tags the shipped templates write; a value must add none, and no attribute at all."""


class _Tags(HTMLParser):
    """Collects every start tag with its attributes, and the text, of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text += data


def _parse(document: str) -> _Tags:
    parser = _Tags()
    parser.feed(document)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def bundle() -> ProgramBundle:
    """The shipped PSP-2017 program and its letter template."""
    return load_program(REPO_PROGRAMS_DIR, "psp-2017")


def _jurisdiction(name: str) -> Jurisdiction:
    return Jurisdiction(slug="stockton-ca", name=name, state="CA", geoid="0675000")


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_name_is_text_in_the_mailed_letter(bundle: ProgramBundle, name: str) -> None:
    """The letter's HTML has only the template's own tags, no attribute, and the name as text."""
    letter = render_letter(bundle, _jurisdiction(name), date(2017, 8, 3))
    parsed = _parse(letter.html)
    assert {tag for tag, _ in parsed.tags} <= TEXT_TAGS, letter.html
    assert all(not attrs for _, attrs in parsed.tags), letter.html
    shown = " ".join(name.split())
    assert shown in " ".join(parsed.text.split())
    assert "PWNED" not in letter.html or "&lt;" in letter.html


def test_the_shipped_letter_keeps_its_form(bundle: ProgramBundle) -> None:
    """An ordinary name changes nothing: numbered questions, bold, the comment kept in Markdown."""
    letter = render_letter(bundle, _jurisdiction("Stockton, CA"), date(2017, 8, 3))
    assert "Chief of Police\nStockton, CA\n" in letter.markdown
    assert "<!-- jurisdiction stockton-ca · GEOID 0675000 · program psp-2017 -->" in letter.markdown
    assert "<ol>" in letter.html
    assert "<strong>2017-08-18</strong>" in letter.html
    assert "<!--" not in letter.html
    assert "jurisdiction stockton-ca" not in letter.html


@pytest.mark.parametrize("value", HOSTILE_NAMES)
def test_an_escaped_value_renders_to_itself(value: str) -> None:
    """Escaped Markdown is faithful: one paragraph whose text is the value (blank runs as one)."""
    rendered = render_markdown_html("Before " + escape_markdown(value) + " after\n")
    parsed = _parse(rendered)
    assert [tag for tag, _ in parsed.tags] == ["p"], rendered
    assert " ".join(parsed.text.split()) == " ".join(f"Before {value} after".split())


def test_escaping_leaves_plain_values_alone() -> None:
    """Names, dates and prose without markup characters read the same in the record."""
    for value in ["Stockton, CA", "2017-08-18", "San Bernardino, CA (city)", "1", "it's 48 hours"]:
        assert escape_markdown(value) == value


def test_raw_html_in_markdown_is_shown_not_run() -> None:
    """Even markup the template itself writes (a tag, a javascript: link) is not live HTML."""
    rendered = render_markdown_html(
        "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n"
    )
    parsed = _parse(rendered)
    assert {tag for tag, _ in parsed.tags} == {"p"}
    assert html.escape("<script>", quote=False) in rendered


def test_a_reminder_quotes_a_hostile_letter_as_text() -> None:
    """The reminder renders the stored letter's Markdown without raw HTML."""
    reminder = render_reminder(_lettered(), "To: <img src=x onerror=\"document.title='PWNED'\">")
    parsed = _parse(reminder.html)
    assert {tag for tag, _ in parsed.tags} <= TEXT_TAGS
    assert "onerror" in parsed.text
