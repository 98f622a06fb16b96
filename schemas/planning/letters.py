"""Letters rendered from the program's Jinja2 template: Markdown for the record, HTML for mail.

Every value the template prints is Markdown-escaped (`schemas.base.markup`), so a jurisdiction
name such as `<img onerror=...>` is text in both forms, never a tag in the mailed HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateError

from schemas.base.errors import InputError
from schemas.base.markup import escape_markdown, render_markdown_html
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.template_budget import (
    BudgetedEnvironment,
    TemplateBudgetError,
    done,
    rendering,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "RenderedLetter",
    "TemplateBudgetError",
    "check_letter_budget",
    "compile_template",
    "render_letter",
    "template_failure",
]

DEFAULT_TEMPLATE = """\
{{ letter_date.isoformat() }}

To: {{ jurisdiction.name }}

Re: {{ program.title }}

Please answer the following questions in writing{% if response_due %} by \
{{ response_due.isoformat() }}{% endif %}:

{% for question in questions %}{{ loop.index }}. {{ question.text }}
{% endfor %}"""


@lru_cache(maxsize=1)
def _environment() -> BudgetedEnvironment:
    return BudgetedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,  # Markdown, not HTML: escaped for Markdown by `finalize`
        finalize=escape_markdown,
    )


@lru_cache(maxsize=64)
def compile_template(source: str) -> Template:
    """Compile a template once per source text (about 7 ms each), every loop under the budget.

    The template is Markdown, so HTML autoescape would put `&amp;` in the record; instead
    every `{{ ... }}` passes through `escape_markdown` (Jinja's `finalize`). Raises
    TemplateError: a syntax error, or a construct the budget refuses (recursive loops).
    """
    environment = _environment()
    return environment.from_string(environment.budgeted(environment.parse(source)))


def template_failure(error: Exception) -> str:
    """One line saying why a template failed to render (any error: templates are data)."""
    if isinstance(error, TemplateError):
        return str(error)
    return f"{type(error).__name__}: {error}"


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
    token = rendering()
    try:
        markdown = compile_template(source).render(
            jurisdiction=jurisdiction,
            program=program,
            questions=program.questions,
            response_due=None if spec is None else spec.due_for(letter_date),
            letter_date=letter_date,
        )
    except Exception as error:  # noqa: BLE001 - a template is data: whatever it raises is its fault
        detail = template_failure(error)
        raise InputError(f"program {program.id!r}: letter template failed: {detail}") from None
    finally:
        done(token)
    html = render_markdown_html(markdown)
    return RenderedLetter(markdown=markdown, html=html)


# The longest name a jurisdiction may have: a trial render's worst case for name loops.
_TRIAL = Jurisdiction(slug="trial-jurisdiction", name="N" * 200, state="CA", geoid="06")


def check_letter_budget(bundle: ProgramBundle) -> None:
    """Render the letter once for a trial jurisdiction; raise TemplateBudgetError past the budget.

    Other template errors are left to the real render, which reports them per jurisdiction.
    """
    spec = bundle.program.letter
    if spec is None or spec.template is None:
        return
    try:
        render_letter(bundle, _TRIAL, spec.response_due or date(2017, 1, 1))
    except InputError as error:
        if isinstance(error.__context__, TemplateBudgetError):
            raise error.__context__ from None
