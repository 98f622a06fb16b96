"""The demo's HTML replay report rendered by headless Chromium (Debian's `chromium` package)."""

from __future__ import annotations

import html
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from infra.files.report_html import render_report
from infra.runtime import Runtime
from tests.conftest import Cli
from tests.integration.test_replay import build_with_flows
from tests.integration.test_review_path import SEEDS
from tests.unit.test_report_standing import _awaiting_information
from tests.unit.test_stage_replay import runtime

__all__ = ["runtime"]  # the fixture, imported for pytest


def _chromium() -> str:
    """The Chromium binary; CI installs it (apt-get install -y chromium), so absence fails."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium (see .ci/run)")
    return found


DESKTOP, NARROW = (1280, 2000), (390, 2400)
"""A laptop window, and a phone-width one (the report must not need sideways scrolling)."""


def _run_chromium(
    profile: Path, *args: str, size: tuple[int, int] = DESKTOP
) -> subprocess.CompletedProcess[bytes]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",  # the right edge is the page's, not a scrollbar's
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={size[0]},{size[1]}",
    ]
    return subprocess.run(
        [_chromium(), *flags, *args], capture_output=True, timeout=90, check=False
    )


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB or RGBA PNG into rows of pixel bytes (stdlib only)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, b"", b""
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind, data = png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]
        header = data if kind == b"IHDR" else header
        idat += data if kind == b"IDAT" else b""
        offset += length + 12
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8
    assert colour in {2, 6}
    size = 3 if colour == 2 else 4
    raw, stride, rows = zlib.decompress(idat), width * size, []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (
                    line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)
                ) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, size, rows


def test_demo_report_renders_in_chromium(cli: Cli, tmp_path: Path) -> None:
    """Chromium shows the four seed jurisdictions' timelines and a screenshot that is not blank."""
    build_with_flows(cli)
    report = tmp_path / "replay.html"
    replayed = cli("audit", "replay", "--report", report)
    assert replayed.code == 0, replayed
    url = report.resolve().as_uri()
    dom = _run_chromium(tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = dom.stdout.decode()
    assert "Replay report" in text
    assert "ok: 0 findings" in text
    # the header says what was audited; the findings summary comes before any timeline
    assert "What was audited" in text
    assert "s3://" in text
    assert "--expect-checkpoint " in text
    assert text.index('id="findings"') < text.index('class="timeline"')
    assert 'id="filter-box" hidden' not in text  # the script ran: the filter box shows
    for slug in SEEDS:
        assert f"psp-2017 / {slug}" in text
        assert f'id="psp-2017--{slug}"' in text
    assert text.count('class="timeline"') == len(SEEDS)
    for name, window in {"desktop": DESKTOP, "narrow": NARROW}.items():
        _check_screenshot(tmp_path, name, window, url)


def _check_screenshot(tmp_path: Path, name: str, window: tuple[int, int], url: str) -> None:
    """Not blank; at the narrow width the right-most column is page background, not cut text."""
    shot = tmp_path / f"replay-{name}.png"
    done = _run_chromium(tmp_path / f"profile-{name}", f"--screenshot={shot}", url, size=window)
    assert done.returncode == 0, done.stderr[-2000:]
    width, size, rows = _pixels(shot.read_bytes())
    assert width == window[0]
    edge = {row[(width - 1) * size : width * size - (size - 3)] for row in rows}
    assert edge == {b"\xff\xff\xff"}, f"{name}: something runs off the right edge"
    colours = {row[i : i + 3] for row in rows[::7] for i in range(0, width * size, size * 5)}
    assert len(colours) > 20, f"the screenshot looks blank: {len(colours)} colours"
    ink = sum(
        1
        for row in rows[::7]
        for i in range(0, width * size, size * 5)
        if row[i : i + 3] != b"\xff\xff\xff"
    )
    assert ink > 500, name


_COMPUTED = """<script>
/* Added by the test: every badge's computed colours, as Chromium paints them. */
document.body.insertAdjacentHTML("beforeend", "<pre id='computed'></pre>");
document.getElementById("computed").textContent = JSON.stringify(
  Array.from(document.querySelectorAll(".badge")).map(function (b) {
    var style = getComputedStyle(b);
    return [b.className, b.textContent, style.color, style.backgroundColor];
  }));
</script>
</body>"""


def _luminance(css: str) -> float:
    """WCAG relative luminance of an opaque `rgb(r, g, b)` colour."""
    assert css.startswith("rgb("), f"not an opaque colour: {css}"  # rgba(0,0,0,0): no background
    channels = [int(part) / 255 for part in css[4:-1].split(",")]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(foreground: str, background: str) -> float:
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_stage_labels_are_legible_and_a_pending_review_is_pending(
    runtime: Runtime, tmp_path: Path
) -> None:
    """Chromium's computed colours give every badge readable contrast; pending stays pending."""
    report = _awaiting_information(runtime, tmp_path)
    page = tmp_path / "replay.html"
    page.write_text(render_report(report).replace("</body>", _COMPUTED, 1))
    dom = _run_chromium(tmp_path / "profile-colours", "--dump-dom", page.resolve().as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = dom.stdout.decode()
    computed = json.loads(html.unescape(text.split('<pre id="computed">', 1)[1].split("</pre>")[0]))
    stages = [badge for badge in computed if badge[0] == "badge stage"]
    assert {badge[1] for badge in stages} >= {"preliminary", "preliminary notice"}
    for class_name, label, colour, background in computed:
        assert _contrast(colour, background) >= 4.5, (class_name, label, colour, background)
    standing = [badge for badge in computed if "awaiting information" in badge[1]]
    assert [badge[0] for badge in standing] == [
        "badge pending",
        "badge pending",
    ]  # contents, heading
    assert not [badge for badge in computed if badge[0] in {"badge eligible", "badge ineligible"}]
    for name, window in {"desktop": DESKTOP, "narrow": NARROW}.items():
        _check_screenshot(tmp_path, f"pending-{name}", window, page.resolve().as_uri())
