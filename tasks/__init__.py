"""Prefect tasks: one I/O concern each, over chunks of streams."""
