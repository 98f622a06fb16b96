"""The `grantreview` command line."""

from cli._render import safe_cell, safe_text

__all__ = ["safe_cell", "safe_text"]
