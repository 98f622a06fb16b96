"""Import rules the layout relies on: tests never import benchmarks; private modules stay home.

Benchmarks may import `tests.support`, never the reverse, so a benchmark can change without
breaking a test. A `_private` module is imported only inside its own package (structlog's
`_output.py`, re-exported by the package): anything else goes through a public module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
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
