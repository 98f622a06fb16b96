"""Prefect artifacts show reasons as text: no link, image or tag in the UI's Markdown (#13)."""

from __future__ import annotations

from markdown_it import MarkdownIt

from tasks.artifacts import decision_markdown
from tests.unit.test_inert_letters import _parse
from usecases.stream_outcome import StreamOutcome

REASONS = (
    "[click](https://evil.example) ![pixel](https://evil.example/p.png)",
    "<img src=x onerror=alert(1)> <a href=https://evil.example>x</a>",
    "# not a heading\n- not an item",
    "\x1b[2J escape",
)


def _outcome() -> StreamOutcome:
    return StreamOutcome(
        jurisdiction="evil-ca",
        step="decided",
        decision="ineligible",
        reasons=REASONS,
        appended=1,
        head_seq=3,
        head_hash="h" * 64,
        decided_now=True,
        decision_id="d-1",
        rule_set_version=1,
        response_sha256="a" * 64,
    )


def test_decision_markdown_renders_reasons_as_text() -> None:
    """Rendered as a Markdown viewer with raw HTML on would, only the note's own tags appear."""
    rendered = MarkdownIt("commonmark").enable("table").render(decision_markdown("psp", _outcome()))
    parsed = _parse(rendered)
    tags = {tag for tag, _ in parsed.tags}
    assert tags <= {
        "h1",
        "strong",
        "ul",
        "li",
        "p",
        "code",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
    assert all(not attrs or tag in {"th", "td"} for tag, attrs in parsed.tags), rendered
    assert "[click](https://evil.example)" in parsed.text
    assert "<img src=x onerror=alert(1)>" in parsed.text
    assert "# not a heading" in parsed.text
    assert "\\x1b[2J escape" in parsed.text
    assert "\x1b" not in rendered


def test_an_ordinary_decision_note_reads_as_before() -> None:
    """Reasons without markup characters are unchanged in the note."""
    outcome = _outcome()
    plain = StreamOutcome(**{**outcome.__dict__, "reasons": ("no response received",)})
    assert "\n- no response received\n" in decision_markdown("psp-2017", plain)
