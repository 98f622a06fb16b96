"""The run form an operator fills in: `program` offered as a choice of the served programs.

Prefect builds a deployment's parameter schema (the UI's run form) from the flow's signature
and its docstring's `Args:` section (`prefect.utilities.callables.parameter_schema`). The
flows take any program slug (a programs folder may hold programs this repository does not
ship), so the choice is made per deployment: a copy of the flow whose signature types
`program` as an enum of the programs `serve` was given (the deployment's parameters
carry the default: a signature default could not precede required parameters). Runs
still load the flow itself from its entrypoint; only the form and the server's parameter
check see the choice.

An optional parameter (`as_of: datetime | None = None`) comes out of pydantic as
`anyOf: [<type>, null]` with `default: null`, which the run form shows as a "None" tab
reading 'Property is type "None"' instead of the field and its help. `with_form_help`
gives such a field its plain type and no default: the form shows the input with its
description, left empty it is not sent (the flow's own default applies), and the server's
check still takes an explicit null (Prefect's validator allows null for a field that is
neither required nor defaulted).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

from prefect import Flow
from pydantic import WithJsonSchema

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

__all__ = ["form_properties", "summary", "with_form_help", "with_program_choice"]

_NULL = {"type": "null"}

P = ParamSpec("P")
R = TypeVar("R")


def with_program_choice(flow: Flow[P, R], programs: list[str]) -> Flow[P, R]:
    """A copy of `flow` whose form offers `programs` as the choices for `program`."""
    if not programs:
        return flow
    signature = inspect.signature(flow.fn, eval_str=True)
    # an enum even for one program (a one-value Literal would be a `const`, not a choice)
    choice = Annotated[str, WithJsonSchema({"type": "string", "enum": list(programs)})]
    parameters = [
        parameter.replace(annotation=choice) if name == "program" else parameter
        for name, parameter in signature.parameters.items()
    ]
    variant = flow.with_options()
    # inspect.signature (so Prefect's parameter_schema) honours __signature__ first
    variant.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined] # a plain attribute inspect reads
    return variant


def summary(flow: Flow[Any, Any]) -> str:
    """The flow's docstring without its `Args:` section: the deployment list's description.

    Each parameter's own line already sits under its field in the run form.
    """
    text = flow.description or ""
    head, _, _ = text.partition("\nArgs:")
    return head.strip()


def _plain(field: dict[str, Any]) -> dict[str, Any]:
    """An optional field as its non-null type, with no null default; any other as it is."""
    choices = field.get("anyOf")
    if field.get("default", ...) is not None or not isinstance(choices, list):
        return field
    kept = [choice for choice in choices if choice != _NULL]
    if len(kept) != 1 or len(choices) != len(kept) + 1:
        return field
    rest = {key: value for key, value in field.items() if key not in {"anyOf", "default"}}
    return {**kept[0], **rest}


def form_properties(properties: dict[str, Any]) -> dict[str, Any]:
    """The run form's fields with every optional one shown as its type (see module doc)."""
    return {name: _plain(field) for name, field in properties.items()}


def with_form_help(deployment: RunnerDeployment) -> RunnerDeployment:
    """The deployment with its run form's optional fields shown as inputs with their help.

    Prefect offers no public hook on the schema `to_deployment` builds; the private
    attribute is read and rewritten here only, and `tests/unit/test_operator_ui.py` checks
    every served deployment's form, so a Prefect change that moves it fails there.
    """
    schema = deployment._parameter_openapi_schema  # noqa: SLF001 - see the docstring
    schema.properties = form_properties(schema.properties)
    return deployment
