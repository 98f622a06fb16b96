"""Readable flow run names (`review-psp-2017-2026-11-29`, `respond-stockton-ca`), not random ones.

Prefect names a run after its flow when it starts; a name built from the run's own parameters
lets an operator find "the psp-2017 review of today" in the UI's run list at a glance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from prefect.runtime import flow_run

from infra.platform.clock import utc_now

__all__ = ["RunNamer", "act_run_name", "act_run_namer", "run_name", "run_namer"]


def run_name(template: str, parameters: Mapping[str, Any], today: datetime) -> str:
    """`template` filled from the run's parameters; `{date}` is `as_of`'s day, else `today`'s.

    A parameter that is missing or None reads `all` (`review-psp-2017-...` for every program
    is never needed; `audit-all` for the whole log is).
    """
    as_of = parameters.get("as_of")
    moment = as_of if isinstance(as_of, datetime) else today
    if isinstance(as_of, str):
        try:
            moment = datetime.fromisoformat(as_of)
        except ValueError:
            moment = today
    values = {key: "all" if value is None else value for key, value in parameters.items()}
    return template.format_map(_Defaulted({**values, "date": moment.date().isoformat()}))


class _Defaulted(dict[str, Any]):
    """Template values where a parameter the run did not receive reads `all`."""

    def __missing__(self, key: str) -> str:
        return "all"


class RunNamer:
    """The `flow_run_name` callable Prefect calls inside the run; it keeps its template.

    `serve` reads the template to name scheduled runs before they start
    (`flows/deploy/scheduled_names.py`).
    """

    def __init__(self, template: str) -> None:
        self.template = template

    def __call__(self) -> str:
        """The run's name from its own parameters (Prefect's `flow_run.parameters`)."""
        return run_name(self.template, flow_run.parameters, utc_now())


def run_namer(template: str) -> RunNamer:
    """The `flow_run_name` callable for `template` (see `RunNamer`)."""
    return RunNamer(template)


def act_run_name(verb: str, parameters: Mapping[str, Any]) -> str:
    """`approve stockton-ca psp-2017 (act 1a2b3c4d5e6f)`; without a jurisdiction, the act alone."""
    act = str(parameters.get("act_id", ""))[:12]
    program = parameters.get("program")
    jurisdiction = parameters.get("jurisdiction")
    if jurisdiction:
        return f"{verb} {jurisdiction} {program} (act {act})"
    return f"{verb} act {act} {program}"


def act_run_namer(verb: str) -> Callable[[], str]:
    """The `flow_run_name` of a run acting on a proposed act (approve, reject)."""

    def name() -> str:
        return act_run_name(verb, flow_run.parameters)

    return name
