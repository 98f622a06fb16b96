"""Read the jurisdiction registry and pick the jurisdictions a run covers."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from infra.runtime import get_runtime
from schemas.errors import InputError
from schemas.jurisdiction import Jurisdiction

__all__ = ["UnknownJurisdictionError", "select_jurisdictions"]


class UnknownJurisdictionError(InputError):
    """A slug that was never imported."""


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1, persist_result=False)
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
