"""Checkpoint keys on disk: generate a pair safely, load the signer, load the auditor's keyring.

Files (see docs/log-format.md, "Keys"):
- `signing-key.pem`: the Ed25519 private key, PKCS#8 PEM, mode 0600; writers only.
- `verify-keys.json`: a keyring (`grantreview.keyring/1`), mode 0644; anyone may hold it.

An auditor's GRANTREVIEW_VERIFY_KEY_FILE may instead be one Ed25519 public key in PEM
(SubjectPublicKeyInfo, what `openssl pkey -pubout`, a KMS or an HSM hands out): a keyring
of that one key, valid at every time. The JSON keyring stays for rotation.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)
from pydantic import ValidationError

from schemas.base.canonical import canonical_json
from schemas.base.errors import InputError
from schemas.log.cumulative_checkpoint import KeyEntry, Keyring, Signer, fingerprint

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "SIGNING_KEY_NAME",
    "VERIFY_KEYS_NAME",
    "generate_key_pair",
    "load_keyring",
    "load_signer",
    "public_key_pem",
    "write_keyring",
]

SIGNING_KEY_NAME = "signing-key.pem"
VERIFY_KEYS_NAME = "verify-keys.json"
PEM_KEY_VALID_FROM = datetime(1900, 1, 1, tzinfo=UTC)
"""A PEM public key has no window: it is valid from the earliest time the log accepts."""


def _write_new(path: Path, body: bytes, mode: int) -> None:
    """Create `path` with `mode` from the first byte (never a window with looser permissions).

    O_EXCL also refuses a symbolic link, dangling or not: a key is never written through one.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        raise InputError(f"{path} exists (or is a link); refusing to overwrite it") from None
    except OSError as error:
        raise InputError(f"cannot create {path}: {error.strerror}") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(body)
    path.chmod(mode)  # the umask may have narrowed a public file; keep what we promised


def _make_private_folder(directory: Path) -> None:
    """Create `directory` and any missing parents 0700, whatever the umask; refuse a non-folder."""
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory} exists and is not a folder")
    missing = [folder for folder in (directory, *directory.parents) if not folder.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except OSError as error:
            raise InputError(f"cannot create {folder}: {error.strerror}") from None
        folder.chmod(0o700)  # mkdir applies the umask; chmod sets exactly 0700


def write_keyring(path: Path, keyring: Keyring) -> None:
    """Write a keyring file (mode 0644), refusing to overwrite one."""
    if path.exists() or path.is_symlink():
        raise InputError(f"{path} exists; refusing to overwrite a keyring")
    _write_new(path, canonical_json(keyring.document()) + b"\n", 0o644)


def generate_key_pair(
    directory: Path, *, valid_from: datetime, valid_until: datetime | None = None
) -> tuple[Path, Path]:
    """Write a new signing key (0600) and its one-key keyring (0644) into `directory`."""
    if valid_from.tzinfo is None or (valid_until is not None and valid_until.tzinfo is None):
        raise InputError("key validity times must carry a time zone")
    private_path, public_path = directory / SIGNING_KEY_NAME, directory / VERIFY_KEYS_NAME
    _make_private_folder(directory)
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise InputError(f"{path} exists; refusing to overwrite a key")
    signer = Signer(Ed25519PrivateKey.generate())
    try:
        entry = KeyEntry(
            fingerprint=signer.fingerprint,
            public_key=signer.public_bytes.hex(),
            valid_from=valid_from,
            valid_until=valid_until,
        )
    except ValidationError as error:
        raise InputError(f"invalid key window: {error.errors()[0]['msg']}") from None
    pem = signer.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    _write_new(private_path, pem, 0o600)
    write_keyring(public_path, Keyring(keys=(entry,)))
    return private_path, public_path


def load_signer(path: Path) -> Signer:
    """Load the private key, refusing a file that group or others may read or write."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as error:
        raise InputError(f"cannot read signing key {path}: {error.strerror}") from None
    if mode & 0o077:
        raise InputError(
            f"signing key {path} has mode {mode:04o}; it must be 0600 or stricter "
            f"(chmod 600 {path})"
        )
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise InputError(f"cannot load signing key {path}: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"signing key {path} is not an Ed25519 key")
    return Signer(key)


def load_keyring(path: Path) -> Keyring:
    """Load the auditor's keys: a `grantreview.keyring/1` JSON keyring or one PEM public key."""
    try:
        body = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read verify key file {path}: {error.strerror}") from None
    if body.lstrip().startswith(b"-----BEGIN"):
        return _pem_keyring(path, body)
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(
            f"verify key file {path} is neither a JSON keyring nor a PEM public key: {error}"
        ) from None
    try:
        keyring = Keyring.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(
            f"verify key file {path} is not a keyring: {where}: {first['msg']}"
        ) from None
    if not keyring.keys:
        raise InputError(f"verify key file {path} holds no keys")
    return keyring


def public_key_pem(public_key_hex: str) -> str:
    """The PEM (SubjectPublicKeyInfo) form of a keyring entry's raw public key."""
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _pem_keyring(path: Path, body: bytes) -> Keyring:
    """A keyring of the one Ed25519 public key in `body`, valid at every time."""
    try:
        key = load_pem_public_key(body)
    except (ValueError, TypeError) as error:
        raise InputError(f"verify key file {path} is not a PEM public key: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"verify key file {path} holds a {type(key).__name__}, not Ed25519")
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    entry = KeyEntry(
        fingerprint=fingerprint(raw), public_key=raw.hex(), valid_from=PEM_KEY_VALID_FROM
    )
    return Keyring(keys=(entry,))
