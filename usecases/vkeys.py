"""Verifier keys ("vkeys") as Go's `note.NewVerifier` reads them: the log's and a witness's.

`<name>+<8 hex key id>+<base64(type || public key)>` (schemas/tlog/note.py): what a third
party pins to check our checkpoints (`verify-receipt`, sumdb-style tools) or a witness's
cosignatures (`--witness` of `verify-receipt`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.identity.keys import load_signer
from schemas.base.errors import InputError
from schemas.tlog.cosignature import cosigner_verifier
from schemas.tlog.note import NoteVerifier, raw_public_key

if TYPE_CHECKING:
    from pathlib import Path

    from infra.runtime import Runtime

__all__ = ["log_vkeys", "witness_vkey"]


def log_vkeys(runtime: Runtime) -> list[str]:
    """One vkey per key of the keyring (the verify key file, else the signing key's own)."""
    keyring = runtime.commit_keys.keyring
    if keyring is None or not keyring.keys:
        raise InputError(
            "no key to print: set GRANTREVIEW_VERIFY_KEY_FILE (or GRANTREVIEW_SIGNING_KEY_FILE);"
            " `grantreview keys generate DIR` makes a pair"
        )
    origin = runtime.origin
    return [NoteVerifier(origin, bytes.fromhex(key.public_key)).vkey() for key in keyring.keys]


def witness_vkey(key_file: Path, name: str) -> str:
    """The cosignature vkey (type 0x04) of the witness that signs with `key_file` as `name`."""
    return cosigner_verifier(name, raw_public_key(load_signer(key_file).private_key)).vkey()
