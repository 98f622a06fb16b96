"""`lint-imports` (make lint) keeps the layers: it passes on this tree, fails on a wrong-way import.

Each failing case runs the real pyproject.toml contracts against a copy of the tree with
one bad module added, so the test proves the configuration catches what it must.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cli", "flows", "tasks", "usecases", "infra", "schemas", "localdev")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    """Run `lint-imports` on the tree at `root`, its packages first on the path."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy_tree(target: Path) -> Path:
    """The production packages and pyproject.toml, copied to `target`."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy2(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def test_the_tree_keeps_every_contract() -> None:
    """Every contract (layers, pure core, CLI over use cases, no localdev) holds on this tree."""
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "source", "contract", "chain"),
    [
        (
            "infra/_wrong_way.py",
            "from flows.review import review\n",
            "Layers: cli -> flows -> tasks -> usecases -> infra -> schemas, never upward BROKEN",
            "infra._wrong_way -> flows.review",
        ),
        (
            "usecases/_wrong_way.py",
            "from tasks.registry import select_jurisdictions\n",
            "Layers: cli -> flows -> tasks -> usecases -> infra -> schemas, never upward BROKEN",
            "usecases._wrong_way -> tasks.registry",
        ),
        (
            "cli/_wrong_way.py",
            "from tasks.responses import record_response\n",
            "The CLI calls use cases and runs flows; it never reaches into a Prefect task BROKEN",
            "cli._wrong_way -> tasks.responses",
        ),
        (
            "schemas/base/_wrong_way.py",
            "import structlog\n",
            "The pure core (schemas) imports no I/O library BROKEN",
            "schemas.base._wrong_way -> structlog",
        ),
        (
            "tasks/_wrong_way.py",
            "from localdev.seaweed import SeaweedServer\n",
            "Production code never imports the local development services BROKEN",
            "tasks._wrong_way -> localdev.seaweed",
        ),
        (
            "schemas/base/_wrong_way.py",
            "from schemas.log.streams import StreamId\n",
            "Rooms of schemas: each imports only the rooms below it BROKEN",
            "schemas.base._wrong_way -> schemas.log.streams",
        ),
        (
            "schemas/log/_wrong_way.py",
            "from schemas.planning.draft import CommitDraft\n",
            "Rooms of schemas: each imports only the rooms below it BROKEN",
            "schemas.log._wrong_way -> schemas.planning.draft",
        ),
        (
            "schemas/tlog/_wrong_way.py",
            "from schemas.log.commit import Commit\n",
            "The transparency-log formats import only schemas.base, like Go's sumdb/tlog BROKEN",
            "schemas.tlog._wrong_way -> schemas.log.commit",
        ),
        (
            "infra/s3/_wrong_way.py",
            "from infra.eventlog.log import EventLog\n",
            "Rooms of infra: runtime wires them; each imports only the rooms below it BROKEN",
            "infra.s3._wrong_way -> infra.eventlog.log",
        ),
    ],
)
def test_a_wrong_way_import_breaks_its_contract(
    tmp_path: Path, module: str, source: str, contract: str, chain: str
) -> None:
    """One module importing against its contract makes `lint-imports` fail and name the import."""
    tree = _copy_tree(tmp_path)
    (tree / module).write_text(f'"""A wrong-way import."""\n\n{source}', encoding="utf-8")
    done = _lint(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert contract in done.stdout
    assert chain in done.stdout


def test_a_module_outside_every_room_breaks_the_rooms_contract(tmp_path: Path) -> None:
    """A new top-level module in schemas/ sits in no room: the rooms contract fails and names it."""
    tree = _copy_tree(tmp_path)
    (tree / "schemas" / "stray.py").write_text('"""In no room."""\n', encoding="utf-8")
    done = _lint(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "schemas.stray" in done.stdout
