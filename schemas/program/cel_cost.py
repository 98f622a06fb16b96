"""A static cost bound for CEL expressions: the cel library has no cost limit, so we bound it.

The expression is parsed once (a small recursive-descent parser over CEL's grammar) and
every node gets upper bounds: `size`, the elements a value holds at any depth (a scalar
is 1); `elem`, the size of any one element a comprehension would walk; and `cost`, the
steps computing it takes. A comprehension macro costs its receiver's size times its body;
`+` adds sizes; `map` multiplies them. Variables from the outside world hold at most
`DATA_SIZE` elements and only maps and scalars (so walking one yields scalar keys), which
`data_size` enforces on the evaluation context: the bound holds at run time too.
Pure: no clock, only arithmetic over the source text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.base.errors import InputError

__all__ = [
    "COST_BUDGET",
    "DATA_SIZE",
    "MAX_EXPRESSION_CHARS",
    "CelBudgetError",
    "cost_bound",
    "data_size",
]

# About 0.2 s of the cel library's work (1,000,000 comprehension steps measured at 2 s).
COST_BUDGET = 100_000
# Elements (at any depth) a variable may hold: ~500 answers of 7 fields.
DATA_SIZE = 4096
MAX_EXPRESSION_CHARS = 4000
_MAX_DEPTH = 50
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_TOKEN = re.compile(
    r"""(?P<space>\s+|//[^\n]*)
    |(?P<string>[rRbB]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
        |'(?:\\.|[^\\'\n])*'|"(?:\\.|[^\\"\n])*"))
    |(?P<number>0[xX][0-9a-fA-F]+[uU]?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[uU]?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>\|\||&&|==|!=|<=|>=|[-+*/%!<>?:.,()\[\]{}])""",
    re.VERBOSE | re.DOTALL,
)
_RELATIONS = frozenset({"<", "<=", ">", ">=", "==", "!=", "in"})


class CelBudgetError(InputError):
    """An expression whose worst case exceeds the evaluation budget (or cannot be bounded)."""


@dataclass(frozen=True)
class _Bound:
    size: int
    cost: int
    elem: int = 1
    data: bool = False  # derived from a variable: walking it yields scalar map keys

    def part(self, extra_cost: int) -> _Bound:
        """A field or an index of this value: no bigger than the whole."""
        elem = 1 if self.data else self.size
        return _Bound(self.size, self.cost + extra_cost, elem, self.data)


_SCALAR = _Bound(1, 1)
_DATA = _Bound(DATA_SIZE, 1, 1, data=True)


def _tokens(source: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise CelBudgetError(f"cannot bound the cost: unexpected {source[position]!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            found.append((kind, match.group()))
        position = match.end()
    return found


class _Parser:
    """Computes bounds while parsing; `scope` maps macro loop variables to element sizes."""

    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.at = 0
        self.depth = 0
        self.scope: dict[str, _Bound] = {}

    def peek(self, offset: int = 0) -> str:
        index = self.at + offset
        return self.tokens[index][1] if index < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        text = self.peek()
        if not text or (expected is not None and text != expected):
            raise CelBudgetError(f"cannot bound the cost: expected {expected or 'more'}")
        self.at += 1
        return text

    def expression(self) -> _Bound:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise CelBudgetError(f"nested more than {_MAX_DEPTH} levels deep")
        condition = self.binary(0)
        if self.peek() == "?":
            self.take()
            then = self.expression()
            self.take(":")
            other = self.expression()
            condition = _Bound(max(then.size, other.size), condition.cost + then.cost + other.cost)
        self.depth -= 1
        return condition

    _LEVELS = (("||",), ("&&",), tuple(_RELATIONS), ("+", "-"), ("*", "/", "%"))

    def binary(self, level: int) -> _Bound:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in self._LEVELS[level]:
            operator = self.take()
            right = self.binary(level + 1)
            left = _operation(operator, left, right)
        return left

    def unary(self) -> _Bound:
        operators = 0
        while self.peek() in {"!", "-"}:
            self.take()
            operators += 1
        value = self.member(self.primary())
        return _Bound(1, value.cost + operators) if operators else value

    def arguments(self, closing: str) -> list[_Bound]:
        found: list[_Bound] = []
        while self.peek() != closing:
            found.append(self.expression())
            if self.peek() != ",":
                break
            self.take(",")
        self.take(closing)
        return found

    def entries(self) -> list[_Bound]:
        found: list[_Bound] = []
        while self.peek() != "}":
            found.append(self.expression())
            self.take(":")
            found.append(self.expression())
            if self.peek() != ",":
                break
            self.take(",")
        self.take("}")
        return found

    def macro(self, name: str, receiver: _Bound) -> _Bound:
        variable = self.take()
        self.take(",")
        outer = self.scope.get(variable)
        self.scope[variable] = _Bound(receiver.elem, 1, receiver.elem, receiver.data)
        body = self.arguments(")")
        if outer is None:
            del self.scope[variable]
        else:
            self.scope[variable] = outer
        cost = receiver.cost + receiver.size * (sum(part.cost for part in body) + 1)
        if name == "map":
            return _Bound(1 + receiver.size * (body[-1].size + 1), cost, body[-1].size)
        if name == "filter":
            return _Bound(receiver.size, cost, receiver.elem, receiver.data)
        return _Bound(1, cost)

    def member(self, value: _Bound) -> _Bound:
        while self.peek() in {".", "[", "{"}:
            opener = self.take()
            if opener == "[":
                index = self.expression()
                self.take("]")
                value = value.part(index.cost + 1)
            elif opener == "{":
                value = _collection(self.entries())
            else:
                name = self.take()
                if self.peek() != "(":
                    value = value.part(1)
                elif name in _MACROS and self.peek(2) == ",":
                    self.take("(")
                    value = self.macro(name, value)
                else:
                    self.take("(")
                    value = _call([value, *self.arguments(")")])
        return value

    def primary(self) -> _Bound:
        kind, text = self.tokens[self.at] if self.at < len(self.tokens) else ("", "")
        if text == "(":
            self.take()
            inner = self.expression()
            self.take(")")
            return inner
        if text in {"[", "{"}:
            self.take()
            return _collection(self.arguments("]") if text == "[" else self.entries())
        if text == ".":  # a leading dot names the root scope: `.answers`
            self.take()
            kind, text = self.tokens[self.at] if self.at < len(self.tokens) else ("", "")
            if kind != "name":
                raise CelBudgetError("cannot bound the cost: expected a name after '.'")
        self.take()
        if kind != "name":
            return _SCALAR
        if self.peek() == "(":
            self.take()
            return _call(self.arguments(")"))
        return self.scope.get(text, _DATA)


def _operation(operator: str, left: _Bound, right: _Bound) -> _Bound:
    """`+` builds a value as big as both; comparing stops at the smaller; `in` walks the right."""
    cost = left.cost + right.cost + 1
    if operator == "+":
        size = left.size + right.size
        return _Bound(size, cost + size, max(left.elem, right.elem), left.data and right.data)
    if operator == "in":
        cost += right.size * min(left.size, right.elem)
    elif operator in _RELATIONS:
        cost += min(left.size, right.size)
    return _Bound(1, cost)


def _collection(items: list[_Bound]) -> _Bound:
    elem = max((i.size for i in items), default=1)
    return _Bound(1 + sum(i.size for i in items), 1 + sum(i.cost for i in items), elem)


def _call(arguments: list[_Bound]) -> _Bound:
    """A function's result is no bigger than its inputs together (CEL has no repeat or range)."""
    size = sum(a.size for a in arguments)
    elem = max((a.size for a in arguments), default=1)
    return _Bound(max(size, 1), 1 + size + sum(a.cost for a in arguments), elem)


def cost_bound(source: str) -> int:
    """The worst-case steps evaluating `source` takes; CelBudgetError beyond `COST_BUDGET`."""
    if len(source) > MAX_EXPRESSION_CHARS:
        raise CelBudgetError(
            f"is {len(source)} characters long; the limit is {MAX_EXPRESSION_CHARS}"
        )
    parser = _Parser(source)
    bound = parser.expression()
    if parser.at != len(parser.tokens):
        raise CelBudgetError(f"cannot bound the cost: unexpected {parser.peek()!r}")
    if bound.cost > COST_BUDGET:
        raise CelBudgetError(
            f"may take up to {bound.cost:,} steps; the budget is {COST_BUDGET:,} "
            "(nested comprehensions multiply the sizes of the lists they walk)"
        )
    return bound.cost


def data_size(value: object, limit: int = DATA_SIZE) -> int:
    """Elements in `value` at any depth (a scalar is 1), stopping past `limit`; a list: too many."""
    count = 0
    pending: list[object] = [value]
    while pending and count <= limit:
        item = pending.pop()
        count += 1
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set)):
            # Walking a list yields whole elements, not scalar keys: the bound would not hold.
            return limit + 1
    return count
