"""Prefect flows: the deployable entry points, one per file; `grant_flow` is the decorator."""

from flows._flow import grant_flow

__all__ = ["grant_flow"]
