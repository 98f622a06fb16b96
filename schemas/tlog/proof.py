"""C2SP tlog-proof@v1: the published text form of an offline-verifiable inclusion proof.

Lines separated by U+000A: `c2sp.org/tlog-proof@v1`; optionally `extra <base64>`;
`index <decimal, no leading zeros>`; zero or more base64 SHA-256 hashes (RFC 6962 order,
the leaf's sibling first); an empty line; the checkpoint note verbatim, cosignatures
included (https://c2sp.org/tlog-proof). Parsing is strict: anything else is refused.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Final

from schemas.base.errors import DamagedDataError
from schemas.tlog.checkpoint import CheckpointError, TreeHead, parse_checkpoint_text
from schemas.tlog.merkle import HASH_SIZE
from schemas.tlog.note import NoteError, b64decode_strict, parse_note

__all__ = [
    "MAX_TLOG_PROOF_BYTES",
    "TLOG_PROOF_HEADER",
    "TlogProof",
    "TlogProofError",
    "parse_tlog_proof",
]

TLOG_PROOF_HEADER: Final = "c2sp.org/tlog-proof@v1"
MAX_TLOG_PROOF_BYTES: Final = 8 * 1024 * 1024
"""A 4 MiB commit in base64 (~5.6 MiB) and a checkpoint of 100 signatures fit well below."""
MAX_PROOF_HASHES: Final = 63
"""A tree of fewer than 2**63 leaves (Go's int64 index) has at most 63 proof hashes."""
_INDEX: Final = re.compile(r"0|[1-9][0-9]*")
_MAX_INDEX: Final = (1 << 63) - 1


class TlogProofError(DamagedDataError):
    """Text that is not a well-formed c2sp.org/tlog-proof@v1 proof."""


@dataclass(frozen=True, slots=True)
class TlogProof:
    """A parsed proof: leaf index, inclusion proof, checkpoint note, optional extra data.

    `extra` is unauthenticated: here it carries the commit's bytes, trusted only once
    SHA-256(0x00 || extra) and the proof give the root the signed checkpoint states.
    """

    index: int
    proof: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.index <= _MAX_INDEX:
            raise TlogProofError(f"index {self.index} is outside 0 to 2**63 - 1")
        if len(self.proof) > MAX_PROOF_HASHES or any(len(h) != HASH_SIZE for h in self.proof):
            raise TlogProofError(f"a proof is at most {MAX_PROOF_HASHES} hashes of 32 bytes")
        if self.extra == b"":
            raise TlogProofError("extra data, when present, is not empty (omit the line)")

    def head(self) -> TreeHead:
        """The tree head the checkpoint states; not verified here (see schemas/tlog/receipt.py)."""
        return parse_checkpoint_text(parse_note(self.checkpoint).text)

    def text(self) -> str:
        """The proof as written to a `.tlog-proof` file, byte for byte."""
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append(f"extra {base64.b64encode(self.extra).decode()}")
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.proof]
        return "".join(f"{line}\n" for line in lines) + "\n" + self.checkpoint


def _decode_hash(line: str) -> bytes:
    try:
        value = b64decode_strict(line)
    except NoteError as error:
        raise TlogProofError(f"a proof line is a base64 hash: {error}") from error
    if len(value) != HASH_SIZE:
        raise TlogProofError(f"a proof hash is 32 bytes, not {len(value)}")
    return value


def _decode_text(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogatepass")
    if len(data) > MAX_TLOG_PROOF_BYTES:
        raise TlogProofError(f"larger than the {MAX_TLOG_PROOF_BYTES}-byte limit of a proof")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TlogProofError("a proof is UTF-8 text") from error


def _parse_extra(lines: list[str]) -> bytes | None:
    if not lines or not lines[0].startswith("extra "):
        return None
    encoded = lines.pop(0).removeprefix("extra ")
    try:
        return b64decode_strict(encoded)
    except NoteError as error:
        raise TlogProofError(f"the extra line is base64: {error}") from error


def _parse_index(lines: list[str]) -> int:
    line = lines.pop(0) if lines else ""
    value = line.removeprefix("index ")
    if not line.startswith("index ") or not _INDEX.fullmatch(value):
        raise TlogProofError(
            f"expected `index N` (decimal, no leading zeros) after the header: {line[:80]!r}"
        )
    if int(value) > _MAX_INDEX:
        raise TlogProofError(f"index {value} is larger than 2**63 - 1")
    return int(value)


def _parse_checkpoint(text: str) -> str:
    try:
        parse_checkpoint_text(parse_note(text).text)
    except (NoteError, CheckpointError) as error:
        raise TlogProofError(f"the checkpoint is not a checkpoint note: {error}") from error
    return text


def parse_tlog_proof(data: bytes | str) -> TlogProof:
    """Parse a proof strictly; no signature or hash is checked here."""
    text = _decode_text(data)
    head, blank, checkpoint = text.partition("\n\n")
    lines = head.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise TlogProofError(f"the first line is {TLOG_PROOF_HEADER!r}, not {lines[0][:80]!r}")
    if not blank:
        raise TlogProofError("no empty line before the checkpoint")
    lines.pop(0)
    extra = _parse_extra(lines)
    index = _parse_index(lines)
    if len(lines) > MAX_PROOF_HASHES:
        raise TlogProofError(f"more than {MAX_PROOF_HASHES} proof lines")
    proof = tuple(_decode_hash(line) for line in lines)
    return TlogProof(index, proof, _parse_checkpoint(checkpoint), extra)
