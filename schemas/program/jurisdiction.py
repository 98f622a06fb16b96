"""Jurisdictions: cities, counties and states, keyed by slug beside a Census GEOID."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from schemas.base.ids import Slug

__all__ = ["Jurisdiction"]


class Jurisdiction(BaseModel):
    """One jurisdiction as imported: a readable slug and the Census GEOID as stable keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: Slug
    name: str = Field(min_length=1, max_length=200)
    state: str = Field(pattern=r"^[A-Z]{2}$", description="USPS state or territory code")
    geoid: str = Field(
        pattern=r"^[0-9]{2,12}$", description="Census GEOID: 2 state, 5 county, 7 place"
    )
