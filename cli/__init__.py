"""The `grantreview` command line."""
