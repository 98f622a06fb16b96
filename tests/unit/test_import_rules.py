"""Import rules the layout relies on: tests never import benchmarks; private modules stay home.

Benchmarks may import `tests.support`, never the reverse, so a benchmark can change without
breaking a test. A `_private` module is imported only inside its own package (structlog's
`_output.py`, re-exported by the package): anything else goes through a public module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "schemas",
    "infra",
    "usecases",
    "tasks",
    "flows",
    "cli",
    "localdev",
    "tests",
    "benchmarks",
)


def _modules() -> Iterator[tuple[str, tuple[str, ...], ast.Module]]:
    """Every first-party source file: its path, its package's dotted parts, its syntax tree."""
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            package = parts[:-1]
            yield str(path.relative_to(ROOT)), package, ast.parse(path.read_text(), str(path))


def _imported(package: tuple[str, ...], tree: ast.Module) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(line, dotted parts) of everything a module imports, relative imports resolved."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, tuple(alias.name.split("."))
        elif isinstance(node, ast.ImportFrom):
            base = tuple(node.module.split(".")) if node.module else ()
            if node.level:
                base = package[: len(package) - node.level + 1] + base
            for alias in node.names:
                yield node.lineno, (*base, alias.name)


def _private_module(target: tuple[str, ...]) -> tuple[str, ...] | None:
    """The leading parts up to the first `_name` that is a first-party module, if any."""
    if not target or target[0] not in PACKAGES:
        return None
    for index, part in enumerate(target[1:], start=1):
        if part.startswith("_") and not part.startswith("__"):
            candidate = ROOT.joinpath(*target[: index + 1])
            if candidate.with_suffix(".py").is_file() or candidate.is_dir():
                return target[: index + 1]
            return None
    return None


def test_tests_never_import_benchmarks() -> None:
    """No module under tests/ imports benchmarks: builders and checkers live in tests/support."""
    found = [
        f"{path}:{line} imports {'.'.join(target)}"
        for path, package, tree in _modules()
        if package[0] == "tests"
        for line, target in _imported(package, tree)
        if target[0] == "benchmarks"
    ]
    assert found == []


def test_private_modules_are_imported_only_in_their_package() -> None:
    """A `_private` module's importers all sit inside the package that holds it."""
    found = []
    for path, package, tree in _modules():
        for line, target in _imported(package, tree):
            private = _private_module(target)
            if private is None:
                continue
            if package[: len(private) - 1] != private[:-1]:
                found.append(f"{path}:{line} imports {'.'.join(private)}")
    assert found == []


def test_private_module_rule_sees_relative_and_from_package_imports() -> None:
    """The rule resolves `from . import _x` and `from pkg import _x` to the module they name."""
    tree = ast.parse("from . import _flow\nfrom tasks import _io\nimport cli._common\n")
    targets = [target for _, target in _imported(("flows",), tree)]
    assert [_private_module(target) for target in targets] == [
        ("flows", "_flow"),
        ("tasks", "_io"),
        ("cli", "_common"),
    ]


PRODUCT = ("schemas", "infra", "usecases", "tasks", "flows", "cli", "localdev")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph(sources: dict[str, str], packages: set[str]) -> dict[str, set[str]]:
    """Module -> first-party modules it imports, wherever the import sits (type-only too).

    `from a.b import c` names module `a.b.c` when that is a module, else `a.b`; importing a
    module also runs its packages' `__init__`s, so they are edges as well, except the
    importer's own packages (always initialised before it).
    """
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for name, source in sources.items():
        package = tuple(name.split(".")) if name in packages else tuple(name.split(".")[:-1])
        for _, target in _imported(package, ast.parse(source)):
            dotted = ".".join(target)
            module = dotted if dotted in sources else ".".join(target[:-1])
            parts = module.split(".")
            own = {".".join(name.split(".")[:end]) for end in range(1, name.count(".") + 2)}
            prefixes = {".".join(parts[:end]) for end in range(1, len(parts) + 1)}
            graph[name] |= {prefix for prefix in prefixes - own if prefix in sources}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle in `graph` (its modules, first repeated last), or [] when there is none."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return list(error.args[1])
    return []


def test_no_import_cycle_in_product_code() -> None:
    """No two product modules import each other, directly or round a loop, type-only included."""
    paths = [path for top in PRODUCT for path in sorted((ROOT / top).rglob("*.py"))]
    sources = {_module_name(path): path.read_text() for path in paths}
    packages = {_module_name(path) for path in paths if path.name == "__init__.py"}
    assert _cycle(_import_graph(sources, packages)) == []


def test_the_cycle_check_finds_a_type_only_cycle() -> None:
    """Two modules that import each other only under TYPE_CHECKING are a cycle."""
    sources = {
        "schemas": "",
        "schemas.a": "import typing\nif typing.TYPE_CHECKING:\n    from schemas.b import B\n",
        "schemas.b": "def f() -> None:\n    from schemas import a\n",
        "schemas.c": "from schemas.a import A\n",
    }
    assert set(_cycle(_import_graph(sources, {"schemas"}))) == {"schemas.a", "schemas.b"}
