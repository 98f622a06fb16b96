"""Content-addressed documents (letters, responses, program files) under documents/sha256/."""

from __future__ import annotations

from infra.eventlog.store import ObjectStore
from schemas.base.canonical import sha256_hex

__all__ = ["DocumentStore", "document_key"]


def document_key(prefix: str, sha256: str) -> str:
    """Where the document with this SHA-256 lives."""
    return f"{prefix}documents/sha256/{sha256}"


class DocumentStore:
    """Write once by hash; a read checks the bytes still match their address."""

    def __init__(self, store: ObjectStore, prefix: str = "") -> None:
        self.store = store
        self.prefix = prefix

    def put(self, body: bytes) -> str:
        """Store `body` (idempotently) and return its SHA-256."""
        digest = sha256_hex(body)
        self.store.put_if_absent(document_key(self.prefix, digest), body)
        return digest

    def get(self, sha256: str) -> bytes | None:
        """The document, or None if absent or if its bytes no longer match the hash."""
        body = self.store.get(document_key(self.prefix, sha256))
        if body is None or sha256_hex(body) != sha256:
            return None
        return body
