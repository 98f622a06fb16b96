"""The record packet's manifest names every change; its pages keep data inert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.files.packet import read_packet, write_packet, write_zip
from infra.files.record_html import render_record, render_verify_guide
from schemas.base.canonical import sha256_hex
from schemas.replay.record import (
    MANIFEST,
    RecordItem,
    document_path,
    manifest_text,
    packet_problems,
)
from schemas.replay.rederive import Moments
from schemas.replay.report import ReplayAccumulator

DOCUMENT = b"Dear Chief,\n"
HOSTILE = "Evil <script>alert(1)</script> & \x1b[2J\u202eCity"


def _packet() -> dict[str, bytes]:
    files = {
        "index.html": b"<p>hello</p>\n",
        "commits/00000000000000000000.json": b"{}",
        document_path(sha256_hex(DOCUMENT)): DOCUMENT,
    }
    return {**files, MANIFEST: manifest_text(files)}


def test_an_intact_packet_has_no_problem() -> None:
    """The manifest lists every other file, as `sha256sum -c` reads it."""
    files = _packet()
    assert packet_problems(files) == []
    first = files[MANIFEST].decode().splitlines()[0]
    assert first == f"{sha256_hex(b'{}')}  commits/00000000000000000000.json"


def test_a_flipped_byte_a_removed_and_an_added_file_are_each_named() -> None:
    """Each change is one line naming the file."""
    files = _packet()
    files["index.html"] = b"<p>hellp</p>\n"
    del files["commits/00000000000000000000.json"]
    files["extra.txt"] = b"later"
    problems = packet_problems(files)
    assert [problem.split(":")[0] for problem in problems] == [
        "commits/00000000000000000000.json",
        "index.html",
        "extra.txt",
    ]
    assert "missing" in problems[0]
    assert "changed" in problems[1]
    assert "added" in problems[2]


def test_a_document_must_hash_to_its_name() -> None:
    """A document swapped together with its manifest line is still caught by its name."""
    files = _packet()
    path = document_path(sha256_hex(DOCUMENT))
    files[path] = b"Dear Mayor,\n"
    files[MANIFEST] = manifest_text({k: v for k, v in files.items() if k != MANIFEST})
    assert packet_problems(files) == [f"{path}: its content does not hash to its name"]


def test_written_and_read_back_the_same_and_the_zip_is_deterministic(tmp_path: Path) -> None:
    """A packet written to disk reads back byte for byte; two zips of it are identical."""
    files = _packet()
    write_packet(files, tmp_path / "p")
    assert read_packet(tmp_path / "p") == (files, [])
    write_zip(files, tmp_path / "a.zip")
    write_zip(files, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def _context(name: str) -> dict[str, Any]:
    item = RecordItem(document_path(sha256_hex(DOCUMENT)), "letter (Markdown)", "", "", "x")
    return {
        "program": "psp-2017",
        "slug": "stockton-ca",
        "name": name,
        "stream": "psp-2017/stockton-ca",
        "acts": [],
        "replay": ReplayAccumulator(Moments()).report(),
        "items": [item],
        "files": {item.path: f"To {name}\n".encode()},
        "vkeys": ["log+1234+AQID"],
        "origin": "log",
    }


def test_a_hostile_jurisdiction_name_renders_inert() -> None:
    """Markup is escaped, terminal and bidi controls shown as escapes, in both pages."""
    page = render_record(_context(HOSTILE))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in page
    assert "\x1b" not in page
    assert "\u202e" not in page
    assert "\\x1b[2J\\u202eCity" in page
    guide = render_verify_guide(_context(HOSTILE))
    assert "\x1b" not in guide
    assert "\u202e" not in guide
