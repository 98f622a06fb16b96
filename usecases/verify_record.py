"""`grantreview verify-record DIR`: check a record packet offline, naming what differs.

The manifest check and the documents' names are pure (schemas/replay/record.py); here each
`proofs/SEQ.tlog-proof` is also checked against the keyring (the auditor's, or the
packet's own `keyring.json`) and must carry exactly `commits/SEQ.json` as its record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from infra.files.packet import read_packet
from schemas.log.cumulative_checkpoint import Keyring
from schemas.replay.record import commit_path, packet_problems
from schemas.tlog.proof import TlogProofError, parse_tlog_proof
from usecases.receipts import receipt_problems

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["verify_packet"]


def _proof_problems(files: dict[str, bytes], keyring: Keyring) -> list[str]:
    problems: list[str] = []
    proven: set[str] = set()
    for path in sorted(p for p in files if p.startswith("proofs/")):
        stem = path.removeprefix("proofs/").removesuffix(".tlog-proof")
        commit = commit_path(int(stem)) if stem.isdigit() else ""
        try:
            proof = parse_tlog_proof(files[path])
        except TlogProofError as error:
            problems.append(f"{path}: malformed: {error}")
            continue
        if commit not in files or proof.extra != files[commit]:
            problems.append(f"{path}: does not carry the bytes of {commit or 'a commit'}")
        problems.extend(f"{path}: {problem}" for problem in receipt_problems(proof, keyring))
        proven.add(commit)
    problems.extend(
        f"{path}: no tlog-proof for it"
        for path in sorted(files)
        if path.startswith("commits/") and path not in proven
    )
    return problems


def verify_packet(root: Path, keyring: Keyring | None = None) -> tuple[list[str], int]:
    """Problems (empty when the packet is intact), and how many files were checked."""
    files, problems = read_packet(root)
    problems += packet_problems(files)
    if keyring is None:
        try:
            keyring = Keyring.model_validate_json(files.get("keyring.json", b""))
        except ValidationError:
            return [*problems, "keyring.json: missing or not a keyring"], len(files)
    return [*problems, *_proof_problems(files, keyring)], len(files)
