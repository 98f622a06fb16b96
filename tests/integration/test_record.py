"""The administrative record of a staged, two-person review, checked as its readers would.

On SeaweedFS and a Prefect server: Olga reviews Stockton under the two-person program, the
city answers twice, Dora proposes the determination and Dan approves it. Then `record`
writes the packet; `verify-record` passes it and names any file flipped, removed or added;
OpenSSH's `ssh-keygen -Y verify` checks every act with the packet's allowed signers; Go's
`golang.org/x/mod/sumdb` checks every commit's tlog-proof; Chromium renders index.html.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_people import Office
from tests.integration.test_people_staged import PROGRAM, SLUG, _row, office, respond
from tests.integration.test_report_chromium import DESKTOP, NARROW, _check_screenshot, _run_chromium
from tests.integration.test_staged_reviews import SEEDS_CSV
from tests.integration.test_tlog_go_interop import go_env
from tests.integration.test_tlog_proof_go_interop import PROGRAM as GO_PROGRAM

__all__ = ["office"]  # the fixture, imported for pytest

pytestmark = pytest.mark.slow


def _two_person_review(office: Office) -> None:
    """Preliminary, an answer, a determination proposed by Dora and approved by Dan."""
    assert office.run("olga", "jurisdictions", "import", SEEDS_CSV).code == 0
    assert office.run("olga", "review", "-p", PROGRAM, SLUG, "--as-of", "2017-08-03").code == 0
    respond(office, "not_applicable", "2017-08-10")
    respond(office, "yes", "2017-08-20")
    determine = ("determine", SLUG, "-p", PROGRAM, "--decision", "eligible")
    proposed = office.run("dora", *determine, "--reason", "answered", "--as-of", "2017-08-28")
    assert proposed.code == 0, proposed
    act_id = proposed.stdout.split("(act ", 1)[1].split(")", 1)[0]
    assert office.run("dan", "approve", act_id, "-p", PROGRAM).code == 0
    assert _row(office, "2017-08-29")["stage"] == "final"
    assert office.run("dan", "checkpoint").code == 0


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _verify(office: Office, packet: Path) -> tuple[int, str]:
    result = office.run("dan", "verify-record", packet)
    return result.code, result.stdout


def _tampered(packet: Path, tmp: Path, name: str) -> Path:
    copy = tmp / name
    shutil.copytree(packet, copy)
    return copy


def _check_tampering(office: Office, packet: Path, tmp: Path) -> None:
    """A flipped byte in any kind of file, a removed file, an added file: exit 1, named."""
    commit = max((packet / "commits").iterdir()).relative_to(packet).as_posix()
    document = min((packet / "documents" / "sha256").iterdir()).relative_to(packet)
    for target in (commit, "index.html", "HEADER.txt", document.as_posix()):
        copy = _tampered(packet, tmp, f"flip-{Path(target).name}")
        body = bytearray((copy / target).read_bytes())
        body[len(body) // 2] ^= 1
        (copy / target).write_bytes(bytes(body))
        code, out = _verify(office, copy)
        assert code == 1, out
        assert f"FAILED: {target}: changed" in out, out
    removed = _tampered(packet, tmp, "removed")
    (removed / document).unlink()
    code, out = _verify(office, removed)
    assert (code, f"FAILED: {document.as_posix()}: missing" in out) == (1, True), out
    added = _tampered(packet, tmp, "added")
    (added / "acts" / "extra.act").write_text("a later addition\n")
    code, out = _verify(office, added)
    assert (code, "FAILED: acts/extra.act: added (not in MANIFEST.sha256)" in out) == (1, True), out


def _check_acts_with_openssh(packet: Path) -> int:
    """Every `ssh-keygen -Y verify` line VERIFY.md gives passes, run in the packet."""
    lines = [
        line
        for line in (packet / "VERIFY.md").read_text().splitlines()
        if line.startswith("ssh-keygen -Y verify ")
    ]
    for line in lines:
        done = subprocess.run(  # noqa: S602 - the very line a reader pastes, from this packet
            line, shell=True, cwd=packet, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        assert "Good " in done.stdout, done.stdout
    return len(lines)


def _check_proofs_with_go(packet: Path, tmp: Path) -> None:
    go, env = go_env(tmp)
    binary = tmp / "go_tlog_proof"
    subprocess.run(
        [go, "build", "-o", str(binary), str(GO_PROGRAM)], env=env, check=True, timeout=300
    )
    proofs = sorted(str(path) for path in (packet / "proofs").iterdir())
    done = subprocess.run(
        [str(binary), "check", str(packet / "log.vkey"), *proofs],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("\n") >= len(proofs)


def test_the_record_of_a_two_person_review_checks_offline(office: Office, tmp_path: Path) -> None:
    """`record`, then `verify-record`, OpenSSH, Go and Chromium each check the packet."""
    _two_person_review(office)
    packet, again = tmp_path / "record", tmp_path / "again"
    made = office.run(
        "dan", "record", SLUG, "-p", PROGRAM, "--out", packet, "--zip", tmp_path / "r.zip"
    )
    assert made.code == 0, made
    code, out = _verify(office, packet)
    assert code == 0, out
    assert out.startswith("ok: "), out
    assert (tmp_path / "r.zip").stat().st_size > 0

    assert office.run("dan", "record", SLUG, "-p", PROGRAM, "--out", again).code == 0
    first = {
        p.relative_to(packet).as_posix(): p.read_bytes() for p in packet.rglob("*") if p.is_file()
    }
    second = {
        p.relative_to(again).as_posix(): p.read_bytes() for p in again.rglob("*") if p.is_file()
    }
    assert first.keys() == second.keys()
    differ = {path for path in first if first[path] != second[path]}
    assert differ <= {"HEADER.txt", "MANIFEST.sha256"}  # deterministic apart from the header

    receipt = office.run("dan", "receipt", SLUG, "-p", PROGRAM, "--out", tmp_path / "final.proof")
    assert receipt.code == 0, receipt  # the decision in force: the approved determination
    assert "decision.determined" in receipt.stdout
    assert "stage final; decision eligible" in receipt.stdout
    shown = office.run("dan", "documents", "show", SLUG, "-p", PROGRAM, "--kind", "notice")
    assert shown.code == 0, shown
    assert "final notice" in shown.stderr
    raw = office.run("dan", "documents", "show", SLUG, "-p", PROGRAM, "--kind", "letter", "--raw")
    letters = [p.read_text() for p in (packet / "documents" / "sha256").iterdir()]
    assert raw.stdout in letters  # the very bytes the packet carries

    _check_tampering(office, packet, tmp_path)
    acts = _check_acts_with_openssh(packet)
    assert acts >= 2  # Dora's proposal and Dan's approval at least
    _check_proofs_with_go(packet, tmp_path)

    url = (packet / "index.html").resolve().as_uri()
    dom = _run_chromium(tmp_path / "profile-dom", "--dump-dom", url)
    text = dom.stdout.decode()
    assert "Certified index" in text
    assert "final: eligible" in text
    assert "determine act proposed by dora, approved by dan" in text
    for name, window in {"desktop": DESKTOP, "phone": NARROW}.items():
        _check_screenshot(tmp_path, f"record-{name}", window, url)
    pdf = tmp_path / "record.pdf"
    printed = _run_chromium(
        tmp_path / "profile-print", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", url
    )
    assert printed.returncode == 0, printed.stderr[-2000:]
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 10_000
