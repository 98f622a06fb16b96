"""The one check that jurisdictions were imported, for every command and flow that names them."""

from __future__ import annotations

from collections.abc import Sequence

from infra.runtime import Runtime
from schemas.base.errors import InputError
from schemas.program.jurisdiction import Jurisdiction

__all__ = ["IMPORT_HINT", "UnknownJurisdictionError", "require_imported"]

IMPORT_HINT = " (see `grantreview jurisdictions import`)"
"""What `review` and `respond` add to the refusal: how to import the missing ones."""


class UnknownJurisdictionError(InputError):
    """A slug that was never imported (exit 2: nothing was written)."""

    def __init__(self, slugs: Sequence[str], *, label: str, hint: str) -> None:
        self.slugs = tuple(slugs)
        super().__init__(f"{label} never imported: {', '.join(self.slugs)}{hint}")


def require_imported(
    runtime: Runtime,
    slugs: Sequence[str] | None,
    *,
    label: str = "jurisdiction(s)",
    hint: str = IMPORT_HINT,
) -> list[Jurisdiction]:
    """The named jurisdictions, in order and once each (None: every imported one, by slug).

    Any never imported: `UnknownJurisdictionError`, before anything is written. `label`
    and `hint` keep each command's wording of that refusal as it was.
    """
    registry = runtime.registry()
    if slugs is None:
        return [registry[slug] for slug in sorted(registry)]
    unknown = [slug for slug in slugs if slug not in registry]
    if unknown:
        raise UnknownJurisdictionError(unknown, label=label, hint=hint)
    return [registry[slug] for slug in dict.fromkeys(slugs)]
