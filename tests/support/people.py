"""Builders for people files and OpenSSH person keys, shared by unit and integration tests."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["PersonKey", "copy_program", "make_key", "people_yaml"]


@dataclass(frozen=True)
class PersonKey:
    """A person's key pair on disk: the private key file (0600) and the public key line."""

    path: Path
    public: str
    private_bytes: bytes
    seed: bytes
    """The raw 32-byte private key: what must never leak in any encoding."""


def make_key(folder: Path, name: str, passphrase: bytes | None = None) -> PersonKey:
    """A new ed25519 key in OpenSSH format, as `ssh-keygen -t ed25519` writes it."""
    key = Ed25519PrivateKey.generate()
    encryption = NoEncryption() if passphrase is None else BestAvailableEncryption(passphrase)
    raw = key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, encryption)
    path = folder / f"{name}_ed25519"
    path.write_bytes(raw)
    path.chmod(0o600)
    public = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    (folder / f"{name}_ed25519.pub").write_text(f"{public} {name}@example\n")
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return PersonKey(path, f"{public} {name}@example", raw, seed)


def people_yaml(entries: list[tuple[str, list[str], str, str, str | None]]) -> str:
    """A people file from (id, roles, public key, valid_from, valid_until) tuples."""
    lines = ["people:"]
    for person, roles, public, valid_from, valid_until in entries:
        lines += [
            f"  - id: {person}",
            f"    name: {person.title()}",
            f"    roles: [{', '.join(roles)}]",
            f'    key: "{public}"',
            f"    valid_from: {valid_from}",
        ]
        if valid_until is not None:
            lines.append(f"    valid_until: {valid_until}")
    return "\n".join(lines) + "\n"


def copy_program(source: Path, target: Path, program: str, extra: str) -> Path:
    """A programs folder holding a copy of `program` with `extra` YAML appended at the top level."""
    shutil.copytree(source / program, target / program)
    path = target / program / "program.yaml"
    path.write_text(path.read_text() + "\n" + extra + "\n")
    return target
