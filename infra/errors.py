"""Errors raised by adapters: a dependency down or refusing, or an untrusted commit (exit 3)."""

from __future__ import annotations

__all__ = [
    "DependencyRefusedError",
    "DependencyUnavailableError",
    "UntrustedCheckpointError",
    "UntrustedCommitError",
]


class DependencyUnavailableError(RuntimeError):
    """S3 or Prefect could not be reached, or refused, after retries."""


class DependencyRefusedError(DependencyUnavailableError):
    """The store said no (e.g. AccessDenied): trying again cannot help."""


class UntrustedCommitError(RuntimeError):
    """A stream holds a commit no trusted key signed: writers refuse to build on it.

    Raised before anything is written to that stream; a retry fails the same way, so it is
    never retried. The message names the stream, the seq and the `audit verify` finding
    (unsigned_commit, bad_commit_signature).
    """

    @classmethod
    def at(cls, stream: str, seq: int, finding: str, detail: str) -> UntrustedCommitError:
        """The error for one stream's first untrusted commit."""
        return cls(
            f"{stream} seq {seq}: {finding}: {detail}; nothing was written to {stream} "
            "(run `grantreview audit verify`)"
        )


class UntrustedCheckpointError(DependencyRefusedError):
    """The newest checkpoint (cumulative or tlog), a tile or a batch does not verify.

    No writer builds on it and no integrator signs over it (exit 3). A refusal, not a bug:
    retrying cannot help until an operator has run `audit verify`.
    """
