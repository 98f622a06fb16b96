"""Integration tests against a real SeaweedFS and a real Prefect server."""
