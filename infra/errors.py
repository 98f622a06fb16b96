"""Errors raised by adapters: a dependency that is down or refusing (exit 3)."""

from __future__ import annotations

__all__ = ["DependencyRefusedError", "DependencyUnavailableError"]


class DependencyUnavailableError(RuntimeError):
    """S3 or Prefect could not be reached, or refused, after retries."""


class DependencyRefusedError(DependencyUnavailableError):
    """The store said no (e.g. AccessDenied): trying again cannot help."""
