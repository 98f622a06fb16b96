"""grantreview's own version, as installed: what a report says wrote it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["grantreview_version"]


def grantreview_version() -> str:
    """The installed distribution's version, or `unknown` when run from an uninstalled tree."""
    try:
        return version("grantreview")
    except PackageNotFoundError:
        return "unknown"
