"""The run form an operator fills in: `program` offered as a choice of the served programs.

Prefect builds a deployment's parameter schema (the UI's run form) from the flow's signature
and its docstring's `Args:` section (`prefect.utilities.callables.parameter_schema`). The
flows take any program slug (a programs folder may hold programs this repository does not
ship), so the choice is made per deployment: a copy of the flow whose signature types
`program` as an enum of the programs `serve` was given (the deployment's parameters
carry the default: a signature default could not precede required parameters). Runs
still load the flow itself from its entrypoint; only the form and the server's parameter
check see the choice.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any, ParamSpec, TypeVar

from prefect import Flow
from pydantic import WithJsonSchema

__all__ = ["summary", "with_program_choice"]

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
