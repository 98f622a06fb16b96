"""A letter mailed to a hostile jurisdiction name runs nothing in a browser (issue #13, M1)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from infra.files.programs import load_program
from infra.platform.settings import REPO_PROGRAMS_DIR
from schemas.planning.deadlines import render_reminder
from schemas.planning.letters import render_letter
from schemas.program.jurisdiction import Jurisdiction
from tests.integration.test_report_chromium import _run_chromium
from tests.unit.test_review_planners import _lettered

PAYLOADS = (
    "<img src=x onerror=\"document.title='PWNED'\">"
    "<script>document.title='PWNED'</script>"
    "<svg onload=\"document.title='PWNED'\"></svg>"
)


def _dom(html_file: Path, profile: Path) -> str:
    """The DOM Chromium built from the file, after its load event (images failed or not)."""
    done = _run_chromium(profile, "--dump-dom", html_file.resolve().as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.decode()


def test_the_stored_letter_html_runs_no_script_in_chromium(tmp_path: Path) -> None:
    """The HTML that is stored and mailed shows the name as text; document.title stays unset."""
    bundle = load_program(REPO_PROGRAMS_DIR, "psp-2017")
    hostile = Jurisdiction(slug="stockton-ca", name=PAYLOADS, state="CA", geoid="0675000")
    letter = render_letter(bundle, hostile, date(2017, 8, 3))
    reminder = render_reminder(_lettered(), letter.markdown)
    for name, html in (("letter", letter.html), ("reminder", reminder.html)):
        page = tmp_path / f"{name}.html"
        page.write_text(html, encoding="utf-8")
        dom = _dom(page, tmp_path / f"profile-{name}")
        assert "<title>" not in dom, dom[:2000]
        assert "<img" not in dom
        assert "<script" not in dom
        assert "<svg" not in dom
        assert "onerror=" in dom  # shown as text, escaped
        assert "Public Safety Partnership" in dom
