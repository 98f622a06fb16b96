"""The `grantreview` command line."""

from cli._options import parse_moment, parse_slugs
from cli._render import safe_cell, safe_text

__all__ = ["parse_moment", "parse_slugs", "safe_cell", "safe_text"]
