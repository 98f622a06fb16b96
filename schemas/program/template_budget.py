"""A Jinja2 sandbox with a work and size budget: letter templates are data, not programs.

Jinja's sandbox stops attribute tricks but not work: nested `range(100000)` loops, a
macro that calls itself twice per level, or `'x' * 100000 * 100000` run until memory or
patience ends. Here every loop item, call, filter and operator costs a step, every
string made is measured, and `range()` is capped; past the budget, rendering stops with
`TemplateBudgetError` (a `SecurityError`, so a `TemplateError`). Pure: steps, not time.
"""

from __future__ import annotations

import contextvars
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from schemas.base.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from jinja2.runtime import Context

__all__ = [
    "MAX_OUTPUT_CHARS",
    "MAX_RANGE",
    "MAX_STEPS",
    "BudgetedEnvironment",
    "TemplateBudgetError",
    "done",
    "rendering",
]

# A letter over a few dozen questions takes a few hundred steps; 20,000 calls take ~0.5 s.
MAX_STEPS = 20_000
MAX_RANGE = 10_000
MAX_OUTPUT_CHARS = 1_000_000
# A format width or precision of seven digits or more ("%9999999s", "{:>9999999}").
_HUGE_FORMAT = re.compile(r"[%:{][^0-9%:{}]{0,8}[0-9]{7,}")
_CHECK_LOOP = "grantreview_budget_loop"
_CHECK_SIZE = "grantreview_budget_size"
_CHECK_VALUE = "grantreview_budget_value"


class TemplateBudgetError(SecurityError, InputError):
    """A template that does more work or makes more text than a letter needs."""


@dataclass
class _Budget:
    steps: int = 0
    chars: int = 0


_CURRENT: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "grantreview_template_budget", default=None
)


def _step(count: int = 1) -> None:
    budget = _CURRENT.get()
    if budget is None:  # outside `rendering()`: a fresh budget per call chain
        budget = _Budget()
        _CURRENT.set(budget)
    budget.steps += count
    if budget.steps > MAX_STEPS:
        raise TemplateBudgetError(f"the template took more than {MAX_STEPS:,} steps")


def _sized(value: Any, *, output: bool = False) -> Any:  # noqa: ANN401 - any template value
    """Refuse a string or list beyond the output limit; text written counts towards it too."""
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_OUTPUT_CHARS:
        raise TemplateBudgetError(f"the template made a value over {MAX_OUTPUT_CHARS:,} long")
    if output:
        budget = _CURRENT.get()
        if budget is not None:
            budget.chars += len(str(value))
            if budget.chars > MAX_OUTPUT_CHARS:
                raise TemplateBudgetError(f"the letter is over {MAX_OUTPUT_CHARS:,} characters")
    return value


def _check_arguments(arguments: Iterable[Any]) -> None:
    for argument in arguments:
        if isinstance(argument, int) and abs(argument) > MAX_OUTPUT_CHARS:
            raise TemplateBudgetError(f"the number {argument} is beyond the template budget")
        if isinstance(argument, str) and _HUGE_FORMAT.search(argument):
            raise TemplateBudgetError("a format width or precision is beyond the template budget")


def _budgeted_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps jinja_pass_arg (pass_context and friends)
    def checked(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - any template value
        _step()
        _check_arguments((*args, *kwargs.values()))
        return _sized(function(*args, **kwargs))

    return checked


def _loop(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _step()
        yield item


def _capped_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateBudgetError(f"range() of {len(numbers):,} items; the limit is {MAX_RANGE:,}")
    return numbers


_LOADING_TAGS: dict[type[nodes.Node], str] = {
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from ... import",
    nodes.Extends: "extends",
}
"""Every tag that needs a template loader, by its node."""
_LOADING_NODES = tuple(_LOADING_TAGS)


def _wrap(node: nodes.Node, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


class BudgetedEnvironment(SandboxedEnvironment):
    """The sandbox, with a step and size budget on every loop, call, filter and operator."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

    def __init__(self, **options: Any) -> None:  # noqa: ANN401 - jinja2.Environment options
        super().__init__(**options)
        self.filters = {name: _budgeted_filter(f) for name, f in self.filters.items()}
        self.filters[_CHECK_LOOP] = _loop
        self.filters[_CHECK_SIZE] = functools.partial(_sized, output=True)
        self.filters[_CHECK_VALUE] = _sized
        self.globals["range"] = _capped_range

    def budgeted(self, template: nodes.Template) -> nodes.Template:
        """Route every loop, concatenation and output through the budget; refuse recursion.

        Tags that load another template (include, import, from, extends) are refused
        here: a program's template is one file, and the sandbox has no loader.
        """
        for loading in template.find_all(_LOADING_NODES):
            tag = _LOADING_TAGS[type(loading)]
            msg = f"line {loading.lineno}: {{% {tag} %}} is not allowed: a template is one file"
            raise TemplateBudgetError(msg)
        for loop in template.find_all(nodes.For):
            if loop.recursive:
                msg = f"line {loop.lineno}: recursive loops are not allowed in letter templates"
                raise TemplateBudgetError(msg)
            loop.iter = _wrap(loop.iter, _CHECK_LOOP)
        for output in template.find_all(nodes.Output):
            output.nodes = [
                node if isinstance(node, nodes.TemplateData) else _wrap(node, _CHECK_SIZE)
                for node in output.nodes
            ]
        for concat in template.find_all(nodes.Concat):
            concat.nodes = [_wrap(node, _CHECK_VALUE) for node in concat.nodes]
        return template

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:  # noqa: ANN401 - operands are any template value
        """Refuse repeats, powers and formats whose result is known to be too big up front."""
        _step()
        if operator == "*":
            for times, value in ((left, right), (right, left)):
                if isinstance(times, int) and isinstance(value, (str, list, tuple)):
                    _sized(value * 0)
                    if times * len(value) > MAX_OUTPUT_CHARS:
                        raise TemplateBudgetError("a repeated string or list would be too long")
        if operator == "**" and isinstance(right, int) and abs(right) > 64:  # noqa: PLR2004 - 2**64 is as big as a letter needs
            raise TemplateBudgetError(f"the power {right} is beyond the template budget")
        if operator == "%":
            _check_arguments((left,))
        return _sized(super().call_binop(context, operator, left, right))

    def call(
        self,
        context: Context,
        obj: Any,  # noqa: ANN401 - any callable a template names
        /,
        *args: Any,  # noqa: ANN401 - any template value
        **kwargs: Any,  # noqa: ANN401 - any template value
    ) -> Any:  # noqa: ANN401 - any template value
        """Count the call, refuse huge numbers and format widths, measure what it returns."""
        _step()
        _check_arguments((*args, *kwargs.values()))
        # str.format reaches here wrapped by the sandbox (wrap_str_format): look beneath.
        for layer in (obj, getattr(obj, "__wrapped__", None)):
            owner = getattr(layer, "__self__", None)
            if isinstance(owner, str):
                _check_arguments((owner,))
        return _sized(super().call(context, obj, *args, **kwargs))


def rendering() -> contextvars.Token[_Budget | None]:
    """Start a fresh budget for one render; pass the token to `done`."""
    return _CURRENT.set(_Budget())


def done(token: contextvars.Token[_Budget | None]) -> None:
    """End the budget `rendering` started."""
    _CURRENT.reset(token)
