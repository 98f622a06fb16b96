"""A record packet on disk: written once into a new folder (and a zip), read back to check.

Files are written with O_EXCL and never through a symbolic link; the zip is deterministic
(sorted names, a fixed 1980-01-01 timestamp, fixed modes), so the same packet gives the
same zip bytes. Reading refuses links and anything but regular files, naming them.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

from schemas.base.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["check_new_folder", "read_packet", "write_packet", "write_zip"]

_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)
"""The earliest time a zip entry can carry: no clock in the bytes."""
MAX_PACKET_FILE_BYTES: Final = 64 * 1024 * 1024


def check_new_folder(out: Path) -> None:
    """Refuse, before anything is read, a folder that exists and is not empty, or a link."""
    if out.is_symlink():
        raise InputError(f"--out {out} is a symbolic link; name a new folder")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"--out {out} exists and is not an empty folder")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: folder {out.parent} does not exist")


def write_packet(files: Mapping[str, bytes], out: Path) -> None:
    """Write every file under `out` (a new or empty folder), 0644, never overwriting."""
    check_new_folder(out)
    out.mkdir(exist_ok=True)
    for relative, body in sorted(files.items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(path, flags, 0o644), "wb") as handle:
            handle.write(body)


def write_zip(files: Mapping[str, bytes], target: Path) -> None:
    """The packet as one zip, the same bytes for the same files."""
    if target.exists() or target.is_symlink():
        raise InputError(f"--zip {target} exists; refusing to overwrite it")
    with zipfile.ZipFile(target, "x", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative, body in sorted(files.items()):
            info = zipfile.ZipInfo(relative, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, body)


def read_packet(root: Path) -> tuple[dict[str, bytes], list[str]]:
    """Every regular file under `root` by relative path, and a problem per link or oddity."""
    if not root.is_dir():
        raise InputError(f"{root} is not a folder")
    files: dict[str, bytes] = {}
    problems: list[str] = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            problems.append(f"{relative}: a symbolic link, not part of a packet")
        elif path.is_file():
            if path.stat().st_size > MAX_PACKET_FILE_BYTES:
                problems.append(f"{relative}: larger than any packet file can be")
            else:
                files[relative] = path.read_bytes()
        elif not path.is_dir():
            problems.append(f"{relative}: not a regular file")
    return files, problems
