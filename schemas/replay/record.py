"""The administrative record of one review: its file layout, manifest and checks (pure).

A packet is a folder a court, an inspector general or the jurisdiction checks offline
with stock tools: every commit and document byte for byte, a C2SP tlog-proof per commit,
the checkpoint and the log's keys, the people files as OpenSSH allowed-signers, each act
with its SSH signature, `index.html` to read, `VERIFY.md` to check, and `MANIFEST.sha256`
(what `sha256sum -c` reads) over every other file. Everything but `HEADER.txt` (when and
by whom it was made) and its manifest line is the same bytes whenever it is made from the
same log. usecases/record.py gathers, infra/files/record_html.py renders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from schemas.base.canonical import sha256_hex

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "HEADER",
    "MANIFEST",
    "RecordItem",
    "commit_path",
    "document_path",
    "manifest_text",
    "packet_problems",
    "proof_path",
]

MANIFEST: Final = "MANIFEST.sha256"
HEADER: Final = "HEADER.txt"
_LINE: Final = re.compile(r"^([0-9a-f]{64})  ([A-Za-z0-9._/-]+)$")
"""One line of `sha256sum` output: hex digest, two spaces, a plain relative path."""
_DOCUMENT: Final = re.compile(r"^documents/sha256/([0-9a-f]{64})$")


def commit_path(seq: int) -> str:
    """Where commit `seq` of the stream sits in the packet (its key's last part)."""
    return f"commits/{seq:020d}.json"


def proof_path(seq: int) -> str:
    """Where the tlog-proof of commit `seq` sits."""
    return f"proofs/{seq:020d}.tlog-proof"


def document_path(sha256: str) -> str:
    """Where a stored document sits: content-addressed, as in the log."""
    return f"documents/sha256/{sha256}"


@dataclass(frozen=True, slots=True)
class RecordItem:
    """One row of the certified index: a file, what it is, when, by whom, its SHA-256."""

    path: str
    kind: str
    date: str
    who: str
    sha256: str
    title: str = ""


def manifest_text(files: Mapping[str, bytes]) -> bytes:
    """`sha256sum` lines for every file but the manifest itself, sorted by path."""
    lines = [f"{sha256_hex(body)}  {path}\n" for path, body in sorted(files.items())]
    return "".join(line for line in lines if not line.endswith(f"  {MANIFEST}\n")).encode()


def _listed(manifest: bytes) -> tuple[dict[str, str], list[str]]:
    """Path -> digest from the manifest, and a problem per line that is not one."""
    listed: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(manifest.decode("utf-8", "replace").splitlines(), 1):
        found = _LINE.match(line)
        if found is None or ".." in found.group(2).split("/"):
            problems.append(f"{MANIFEST}: line {number} is not `SHA256  PATH`")
        else:
            listed[found.group(2)] = found.group(1)
    return listed, problems


def packet_problems(files: Mapping[str, bytes]) -> list[str]:
    """Each file changed, missing or added against the manifest, one line naming it.

    A document must also hash to its own name (it is content-addressed in the log too).
    """
    manifest = files.get(MANIFEST)
    if manifest is None:
        return [f"{MANIFEST}: missing"]
    listed, problems = _listed(manifest)
    for path, digest in sorted(listed.items()):
        body = files.get(path)
        if body is None:
            problems.append(f"{path}: missing")
        elif sha256_hex(body) != digest:
            problems.append(f"{path}: changed (SHA-256 {sha256_hex(body)}, manifest {digest})")
    problems.extend(
        f"{path}: added (not in {MANIFEST})"
        for path in sorted(files)
        if path not in listed and path != MANIFEST
    )
    for path, body in sorted(files.items()):
        named = _DOCUMENT.match(path)
        if named is not None and sha256_hex(body) != named.group(1):
            problems.append(f"{path}: its content does not hash to its name")
    return problems
