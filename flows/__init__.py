"""Prefect flows: the deployable entry points, one per file."""
