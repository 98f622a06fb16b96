"""Letters rendered from the program's Jinja2 template: Markdown for the record, HTML for mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markdown_it import MarkdownIt

from schemas.errors import InputError
from schemas.jurisdiction import Jurisdiction
from schemas.program import ProgramBundle

__all__ = ["DEFAULT_TEMPLATE", "RenderedLetter", "render_letter"]

DEFAULT_TEMPLATE = """\
{{ letter_date.isoformat() }}

To: {{ jurisdiction.name }}

Re: {{ program.title }}

Please answer the following questions in writing{% if response_due %} by \
{{ response_due.isoformat() }}{% endif %}:

{% for question in questions %}{{ loop.index }}. {{ question.text }}
{% endfor %}"""


@lru_cache(maxsize=64)
def _compiled(source: str) -> Template:
    """Compile a template once per source text (about 7 ms each, paid per letter otherwise)."""
    environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    return environment.from_string(source)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark")


@dataclass(frozen=True)
class RenderedLetter:
    """A letter in both forms; the Markdown is the record, the HTML is what is mailed."""

    markdown: str
    html: str


def render_letter(
    bundle: ProgramBundle, jurisdiction: Jurisdiction, letter_date: date
) -> RenderedLetter:
    """Render the program's letter for one jurisdiction in a sandbox (templates are data)."""
    program = bundle.program
    spec = program.letter
    source = DEFAULT_TEMPLATE
    if spec is not None and spec.template is not None:
        source = bundle.files[spec.template]
    try:
        markdown = _compiled(source).render(
            jurisdiction=jurisdiction,
            program=program,
            questions=program.questions,
            response_due=None if spec is None else spec.response_due,
            letter_date=letter_date,
        )
    except TemplateError as error:
        raise InputError(f"program {program.id!r}: letter template failed: {error}") from None
    html = _markdown().render(markdown)
    return RenderedLetter(markdown=markdown, html=html)
