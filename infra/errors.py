"""Errors raised by adapters; each is exit 3 (cli/main.py).

S3 or Prefect down or refusing, a log writers must not build on, or writers that kept
losing a race.
"""

from __future__ import annotations

__all__ = [
    "ContentionError",
    "DamagedLogError",
    "DependencyRefusedError",
    "DependencyUnavailableError",
    "UnsignedTileError",
    "UntrustedCheckpointError",
    "UntrustedCommitError",
]


class DependencyUnavailableError(RuntimeError):
    """S3 or Prefect could not be reached, or refused, after retries."""


class DependencyRefusedError(DependencyUnavailableError):
    """The store said no (e.g. AccessDenied): trying again cannot help."""


class DamagedLogError(RuntimeError):
    """The log holds something writers must not build on: damaged, or signed by no one trusted.

    A refusal to write, never a bug: an operator runs `audit verify` to see what happened.
    """


class ContentionError(RuntimeError):
    """Other writers kept winning the same key: nothing of ours was written; try again."""


class UntrustedCommitError(DamagedLogError):
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


class UnsignedTileError(UntrustedCheckpointError):
    """A tile path the next batch must write holds other bytes, which no signed note covers.

    Planted (anyone with write access can put an object first): the integrator signs
    nothing over it and writers defer their commits rather than stop; the tree stays stuck
    until the object is removed, which `audit verify` (`not_in_tree` past the integration
    bound) and a witness's `--max-age` make visible.
    """
