"""Program folders are data, not a door: only regular files inside the folder are read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from infra.files.programs import check_programs, load_program
from schemas.program.definition import ProgramError

if TYPE_CHECKING:
    from pathlib import Path

PROGRAM = """\
id: demo
title: Demo program
kind: selection
sources: ["a test"]
letter:
  template: {template}
  response_due: 2017-08-18
questions:
  - {{id: q1, text: "Question one?", source: "letter q1"}}
rule_sets:
  - version: 1
    effective_from: 2017-01-01
    conditions:
      - id: first
        title: First
        source: clause 1
        questions: [q1]
        met_when: 'answers.q1.answer == "yes"'
        reason_unmet: the program requires 'yes'
"""
SECRET = "-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n"


def make_programs(root: Path, template: str = "letter.md.j2") -> Path:
    """programs/demo/ with program.yaml and a regular letter template; a key file beside it."""
    folder = root / "programs" / "demo"
    folder.mkdir(parents=True)
    (folder / "program.yaml").write_text(PROGRAM.format(template=template), encoding="utf-8")
    (root / "signing-key.pem").write_text(SECRET, encoding="utf-8")
    return root / "programs"


def test_regular_files_load(tmp_path: Path) -> None:
    """A folder of regular files loads, so the refusals below are about the links."""
    programs = make_programs(tmp_path)
    (programs / "demo" / "letter.md.j2").write_text("Dear {{ jurisdiction.name }}")
    assert load_program(programs, "demo").files == {"letter.md.j2": "Dear {{ jurisdiction.name }}"}


def test_template_symlinked_to_the_key_is_refused(tmp_path: Path) -> None:
    """A letter template linked to the signing key is refused at load, naming the entry."""
    programs = make_programs(tmp_path)
    (programs / "demo" / "letter.md.j2").symlink_to(tmp_path / "signing-key.pem")
    with pytest.raises(ProgramError) as refused:
        load_program(programs, "demo")
    message = str(refused.value)
    assert message.startswith(f"{programs / 'demo' / 'program.yaml'}: letter.template: ")
    assert "is a symbolic link" in message
    assert "PRIVATE KEY" not in message


def test_template_symlink_inside_the_folder_is_refused(tmp_path: Path) -> None:
    """No symlinks at all: even one pointing at another file of the same folder."""
    programs = make_programs(tmp_path)
    (programs / "demo" / "real.md.j2").write_text("Dear")
    (programs / "demo" / "letter.md.j2").symlink_to(programs / "demo" / "real.md.j2")
    with pytest.raises(ProgramError, match="is a symbolic link"):
        load_program(programs, "demo")


def test_template_under_a_symlinked_folder_is_refused(tmp_path: Path) -> None:
    """A linked directory on the way to the template is refused like a linked file."""
    programs = make_programs(tmp_path, template="sub/letter.md.j2")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "letter.md.j2").write_text("Dear")
    (programs / "demo" / "sub").symlink_to(elsewhere)
    with pytest.raises(ProgramError, match=r"sub is a symbolic link"):
        load_program(programs, "demo")


def test_program_yaml_symlink_is_refused(tmp_path: Path) -> None:
    """program.yaml itself must be a regular file in its folder."""
    programs = make_programs(tmp_path)
    yaml_path = programs / "demo" / "program.yaml"
    yaml_path.rename(tmp_path / "program.yaml")
    yaml_path.symlink_to(tmp_path / "program.yaml")
    (programs / "demo" / "letter.md.j2").write_text("Dear")
    with pytest.raises(ProgramError, match=r"program\.yaml is a symbolic link"):
        load_program(programs, "demo")


def test_symlinked_program_folder_is_refused(tmp_path: Path) -> None:
    """A program folder that is a link to a folder elsewhere is refused by check_programs."""
    programs = make_programs(tmp_path)
    (programs / "demo" / "letter.md.j2").write_text("Dear")
    (programs / "demo").rename(tmp_path / "demo")
    (programs / "demo").symlink_to(tmp_path / "demo")
    with pytest.raises(ProgramError, match=r"demo is a symbolic link"):
        check_programs(programs)
