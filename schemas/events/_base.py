"""The base of every event payload, apart so event modules can share it without a cycle."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = ["DomainEvent"]


class DomainEvent(BaseModel):
    """Base of every event payload (the CloudEvents `data`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    CANONICAL_BY_TYPE: ClassVar[bool] = True
    """Its JSON dump can hold no float and no untyped value (every field is typed), so
    `seal_commit` skips the walk that refuses them (tests/unit/test_canonical_payloads.py
    holds every event type that says so to it)."""
