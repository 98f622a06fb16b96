"""Read the jurisdiction registry and pick the jurisdictions a run covers."""

from __future__ import annotations

from infra.runtime import get_runtime
from schemas.errors import InputError
from schemas.jurisdiction import Jurisdiction
from tasks._io import io_task

__all__ = ["UnknownJurisdictionError", "select_jurisdictions"]


class UnknownJurisdictionError(InputError):
    """A slug that was never imported."""


@io_task
def select_jurisdictions(slugs: list[str] | None) -> list[Jurisdiction]:
    """The named jurisdictions (all imported ones for None), refusing any never imported."""
    registry = get_runtime().registry()
    if slugs is None:
        return [registry[slug] for slug in sorted(registry)]
    unknown = [slug for slug in slugs if slug not in registry]
    if unknown:
        raise UnknownJurisdictionError(
            f"jurisdiction(s) never imported: {', '.join(unknown)} "
            "(see `grantreview jurisdictions import`)"
        )
    return [registry[slug] for slug in dict.fromkeys(slugs)]
