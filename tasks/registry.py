"""Pick the jurisdictions a run covers: the task over the one registry check."""

from __future__ import annotations

from infra.runtime import get_runtime
from schemas.program.jurisdiction import Jurisdiction
from tasks._io import io_task
from usecases.registry import UnknownJurisdictionError, require_imported

__all__ = ["UnknownJurisdictionError", "select_jurisdictions"]


@io_task
def select_jurisdictions(slugs: list[str] | None) -> list[Jurisdiction]:
    """The named jurisdictions (all imported ones for None), refusing any never imported."""
    return require_imported(get_runtime(), slugs)
