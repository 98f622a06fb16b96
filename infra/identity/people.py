"""The people file and the person's key on disk: read, validate, store content-addressed.

`GRANTREVIEW_PEOPLE_FILE` (YAML) says who may act; `GRANTREVIEW_PERSON_KEY_FILE` (an
OpenSSH private key, as `ssh-keygen -t ed25519` writes it) signs the person's acts. A key
file's path, bytes and passphrase are never logged, printed or stored: errors name the
setting, not the file.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

import yaml
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_ssh_private_key

from infra.files.programs import StrictYamlLoader
from schemas.base.errors import InputError
from schemas.people.people_file import PeopleError, PeopleFile, parse_people

if TYPE_CHECKING:
    from pathlib import Path

    from infra.eventlog.documents import DocumentStore

__all__ = ["load_people", "load_person_key", "store_people"]

_MAX_PEOPLE_BYTES = 1024 * 1024
_MAX_KEY_BYTES = 16 * 1024


def load_people(path: Path) -> PeopleFile:
    """Read and validate a people file; any problem is a PeopleError naming the entry."""
    try:
        raw = path.read_bytes()[: _MAX_PEOPLE_BYTES + 1]
    except OSError as error:
        raise PeopleError(f"{path}: cannot read: {error.strerror}") from None
    if len(raw) > _MAX_PEOPLE_BYTES:
        raise PeopleError(f"{path}: larger than {_MAX_PEOPLE_BYTES} bytes")
    try:
        data = yaml.load(raw, Loader=StrictYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise PeopleError(f"{path}: not YAML: {str(error).splitlines()[0]}") from None
    return parse_people(data, source=str(path))


def store_people(documents: DocumentStore, people: PeopleFile) -> str:
    """Put the canonical people document under documents/sha256/ (once); its hash."""
    return documents.put(people.to_bytes())


def load_person_key(path: Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """The person's ed25519 key from an OpenSSH private key file (mode 0600 or stricter).

    Errors say what is wrong without quoting the file or its path.
    """
    setting = "GRANTREVIEW_PERSON_KEY_FILE"
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        raise InputError(f"{setting}: cannot open the key file (or it is a link)") from None
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{setting}: not a regular file")
        raw = handle.read(_MAX_KEY_BYTES)
        if raw.lstrip().startswith((b"ssh-", b"ecdsa-", b"sk-")):
            raise InputError(
                f"{setting}: this is a public key (.pub); point it at the private key beside it "
                "(e.g. ~/.ssh/id_ed25519, not ~/.ssh/id_ed25519.pub)"
            )
        if mode & 0o077:
            raise InputError(f"{setting}: the key file is readable by others; chmod 600 it")
    try:
        key = load_ssh_private_key(raw, passphrase)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InputError(
            f"{setting}: not an OpenSSH private key, or the passphrase is wrong "
            "(set GRANTREVIEW_PERSON_KEY_PASSPHRASE; ssh-keygen -y -f FILE checks it)"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{setting}: only ssh-ed25519 keys sign acts")
    return key
