"""Checkpoint keys: the Ed25519 signer writers hold and the keyring auditors verify with."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final, Literal

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from schemas.base.canonical import format_time, sha256_hex

if TYPE_CHECKING:
    from datetime import datetime

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["KEYRING_FORMAT", "KeyEntry", "Keyring", "Signer", "fingerprint"]

KEYRING_FORMAT: Final = "grantreview.keyring/1"


def fingerprint(public_key: bytes) -> str:
    """A key's fingerprint: lowercase hex SHA-256 of its 32 raw public-key bytes."""
    return sha256_hex(public_key)


@dataclass(frozen=True)
class Signer:
    """An Ed25519 private key that signs checkpoints and commits (held by writers only)."""

    private_key: Ed25519PrivateKey

    @property
    def public_bytes(self) -> bytes:
        """The 32 raw bytes of the public key."""
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @cached_property
    def fingerprint(self) -> str:
        """The fingerprint every checkpoint and commit signed by this key names (computed once)."""
        return fingerprint(self.public_bytes)

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of `data`."""
        return self.private_key.sign(data)


class KeyEntry(BaseModel):
    """One public key of the keyring and the window [valid_from, valid_until) it may sign in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fingerprint: str
    public_key: str
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _fingerprint_matches(self) -> KeyEntry:
        try:
            raw = bytes.fromhex(self.public_key)
        except ValueError:
            raise ValueError("public_key must be 64 hex digits") from None
        if len(raw) != 32:  # noqa: PLR2004 - Ed25519 public keys are 32 bytes
            raise ValueError("public_key must be 64 hex digits")
        if fingerprint(raw) != self.fingerprint:
            raise ValueError(f"fingerprint {self.fingerprint[:16]}... does not match public_key")
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self

    def covers(self, moment: datetime) -> bool:
        """Whether a checkpoint stamped `moment` falls inside this key's validity window."""
        return self.valid_from <= moment and (self.valid_until is None or moment < self.valid_until)


class Keyring(BaseModel):
    """The public keys an auditor trusts (several across rotations); it cannot sign anything."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["grantreview.keyring/1"] = KEYRING_FORMAT
    keys: tuple[KeyEntry, ...]

    def find(self, key_fingerprint: str) -> KeyEntry | None:
        """The entry with this fingerprint, if the keyring holds it."""
        return next((key for key in self.keys if key.fingerprint == key_fingerprint), None)

    def document(self) -> dict[str, Any]:
        """The JSON document of the keyring file."""
        return {
            "format": self.format,
            "keys": [
                {
                    "fingerprint": key.fingerprint,
                    "public_key": key.public_key,
                    "valid_from": format_time(key.valid_from),
                    "valid_until": None
                    if key.valid_until is None
                    else format_time(key.valid_until),
                }
                for key in self.keys
            ],
        }
