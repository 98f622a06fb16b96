"""Loading program folders from disk into validated bundles; every problem is a ProgramError.

A program folder is data, not a door: every file a program uses (program.yaml, its
letter template) must be a regular file inside its folder, reached without any
symbolic link, so a template linked to the signing key cannot be stored or mailed.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Any

import jinja2
import yaml

from schemas.base.ids import InvalidIdError, check_slug
from schemas.planning.letters import TemplateBudgetError, check_letter_budget, compile_template
from schemas.program.definition import (
    ProgramBundle,
    ProgramError,
    check_footing,
    parse_program,
)

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "PROGRAM_FILE",
    "StrictYamlLoader",
    "check_programs",
    "load_order_file",
    "load_program",
    "parse_order_text",
    "read_order_text",
]

PROGRAM_FILE = "program.yaml"
_MAX_FILE_BYTES = 1024 * 1024


class _StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a key given twice in one mapping."""


def _no_duplicate_keys(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {line})", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _no_duplicate_keys,
)


StrictYamlLoader = _StrictLoader
"""The YAML loader for every policy file we read (programs, people): no duplicate keys."""

_NO_SYMLINKS = "program files must be regular files inside the program folder, never symlinks"


def _inside(folder: Path, name: str, entry: str) -> Path:
    """`folder/name`, refusing a symlink at the folder or any step below it, or an escape."""
    path = folder
    for part in ("", *name.split("/")):
        path = path / part if part else path
        if part in {"..", "."}:
            raise ProgramError(f"{entry}: {path} leaves the program folder")
        if path.is_symlink():
            raise ProgramError(f"{entry}: {path} is a symbolic link; {_NO_SYMLINKS}")
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ProgramError(f"{entry}: {path} leaves the program folder")
    return path


def _read_regular(path: Path) -> bytes:
    """Read a regular file without following a final symlink (O_NOFOLLOW: no race with lstat)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise IsADirectoryError(0, "not a regular file")
        return handle.read(_MAX_FILE_BYTES + 1)


def _read(path: Path, shown: str) -> str:
    try:
        raw = _read_regular(path)
    except OSError as error:
        problem = error.strerror or str(error)
        if path.is_symlink():
            problem = f"a symbolic link; {_NO_SYMLINKS}"
        raise ProgramError(f"{shown}: cannot read: {problem}") from None
    if len(raw) > _MAX_FILE_BYTES:
        raise ProgramError(f"{shown}: more than {_MAX_FILE_BYTES} bytes, the limit")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProgramError(f"{shown}: not valid UTF-8 (byte {error.start})") from None


def _parse_yaml(text: str, shown: str) -> object:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = error.problem or error.context or "not valid YAML"
        raise ProgramError(f"{shown}: {where}{problem}") from None
    except yaml.YAMLError as error:
        raise ProgramError(f"{shown}: not valid YAML: {error}") from None
    except RecursionError:
        raise ProgramError(f"{shown}: nested too deeply") from None
    except ValueError as error:  # e.g. an integer past Python's int max str digits (4300)
        raise ProgramError(f"{shown}: a value cannot be read: {error}") from None


def _template(
    folder: Path, name: str, shown: str, display: Path, key: str = "letter.template"
) -> str:
    path = _inside(folder, name, f"{shown}: {key}")
    if not path.is_file():
        raise ProgramError(f"{shown}: {key}: template file {display / name} is missing")
    text = _read(path, str(display / name))
    try:
        compile_template(text)
    except jinja2.TemplateSyntaxError as error:
        raise ProgramError(
            f"{display / name}: line {error.lineno}: template does not parse: {error.message}"
        ) from None
    except TemplateBudgetError as error:
        raise ProgramError(f"{shown}: {key}: {display / name}: {error}") from None
    return text


def load_program(programs_dir: Path, program_id: str) -> ProgramBundle:
    """Load and validate `programs_dir/<program_id>/program.yaml` and its letter template."""
    check_slug(program_id, "program id")
    folder = programs_dir / program_id
    path = folder / PROGRAM_FILE
    display = programs_dir / program_id
    shown = str(path)
    if not folder.is_symlink() and not path.exists() and not path.is_symlink():
        raise ProgramError(f"no program {program_id!r} in {programs_dir}")
    _inside(folder, PROGRAM_FILE, shown)
    data = _parse_yaml(_read(path, shown), shown)
    program = parse_program(data, source=shown)
    check_footing(program, source=shown)
    if program.id != program_id:
        raise ProgramError(f"{shown}: id: {program.id!r} does not match its folder {program_id!r}")
    files: dict[str, str] = {}
    if program.letter is not None and program.letter.template is not None:
        name = program.letter.template
        files[name] = _template(folder, name, shown, display)
    notice = program.review.notice_template if program.review is not None else None
    if notice is not None:
        files[notice] = _template(folder, notice, shown, display, "review.notice_template")
    bundle = ProgramBundle(program=program, files=files)
    try:
        check_letter_budget(bundle)
    except TemplateBudgetError as error:
        letter = program.letter.template if program.letter is not None else None
        where = f"{display / letter}: " if letter else ""
        raise ProgramError(f"{shown}: letter.template: {where}{error}") from None
    return bundle


def load_order_file(path: Path) -> object:
    """One `court_orders` entry from a YAML file (at most 1 MiB, strict YAML), not yet checked."""
    return parse_order_text(read_order_text(path), str(path))


def read_order_text(path: Path) -> str:
    """An order file's text (at most 1 MiB, UTF-8): `add-order` keeps its comments."""
    return _read(path, str(path))


def parse_order_text(text: str, source: str) -> object:
    """One `court_orders` entry from YAML text (a run form's field), not yet checked."""
    if len(text.encode("utf-8")) > _MAX_FILE_BYTES:
        raise ProgramError(f"{source}: more than {_MAX_FILE_BYTES} bytes, the limit")
    return _parse_yaml(text, source)


def check_programs(programs_dir: Path) -> list[ProgramBundle]:
    """Load every program folder under `programs_dir` (sorted); the first invalid one raises."""
    if not programs_dir.is_dir():
        raise ProgramError(f"{programs_dir}: not a directory")
    folders = sorted(
        child.name
        for child in programs_dir.iterdir()
        if (child.is_dir() or child.is_symlink()) and not child.name.startswith((".", "_"))
    )
    if not folders:
        raise ProgramError(f"{programs_dir}: no program folders found")
    for name in folders:
        try:
            check_slug(name, "program id")
        except InvalidIdError as error:
            raise ProgramError(f"{programs_dir / name}: folder name: {error}") from None
    return [load_program(programs_dir, name) for name in folders]
