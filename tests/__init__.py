"""Tests: unit (pure, milliseconds), integration (real S3 and Prefect), e2e (the CLI)."""
