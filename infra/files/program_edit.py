"""Adding a court order to a program folder's program.yaml, every other line kept as written.

`programs add-order` changes the office's own file, not a copy: the entry is inserted as text
after the last `court_orders` entry (or in place of the entry with its id: a stay, a
narrowed scope), so comments and layout survive. The edited folder must load to exactly the
program the preview evaluated (`schemas.planning.preview.with_order`, compared by hash), or
nothing is written; the file is replaced atomically.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from infra.files.programs import PROGRAM_FILE, StrictYamlLoader, load_program
from schemas.program.definition import ProgramError

if TYPE_CHECKING:
    from schemas.program.definition import ProgramBundle

__all__ = ["edited_program_text", "write_program_text"]

_BY_HAND = "add the entry to program.yaml by hand, then `grantreview programs check`"


def _content_end(node: yaml.Node) -> int:
    """Where a node's own text ends (before the comments and blank lines after it)."""
    if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
        return _content_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
        return _content_end(node.value[-1])
    return int(node.end_mark.index)


def _line_end(text: str, position: int) -> int:
    """The index of the newline ending the line `position` is on (a block scalar's included)."""
    if position > 0 and text[position - 1] == "\n":
        return position - 1
    found = text.find("\n", position)
    return len(text) if found < 0 else found


def _entry_lines(entry_text: str, dash: int) -> list[str]:
    """The entry's YAML lines as one item of a block sequence whose dashes stand at `dash`."""
    lines = [line.rstrip() for line in entry_text.splitlines()]
    while lines and lines[-1].strip() in {"", "..."}:
        lines.pop()
    lines = [line for line in lines if line.strip() != "---"]
    first = next(
        (i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")),
        None,
    )
    if first is None or lines[first].startswith((" ", "-", "{", "[")):
        raise ProgramError("the order is not a block mapping at the left margin")
    pad = " " * (dash + 2)
    head = [f"{' ' * dash}{line}" if line else "" for line in lines[:first]]
    body = [f"{pad}{line}" if line else "" for line in lines[first + 1 :]]
    return [*head, f"{' ' * dash}- {lines[first]}", *body]


def _dash_column(text: str, item: yaml.Node) -> tuple[int, int]:
    """The index of an item's dash and the dash's column; ProgramError if not `- key: ...`."""
    start = int(item.start_mark.index)
    line_start = text.rfind("\n", 0, start) + 1
    dash = text.rfind("-", line_start, start)
    if dash < 0 or text[line_start:dash].strip() or text[dash + 1 : start].strip():
        raise ProgramError(f"court_orders: an entry is not laid out as `- id: ...`; {_BY_HAND}")
    return dash, dash - line_start


def _splice(text: str, entry_text: str, order_id: str) -> str:
    root = yaml.compose(text, Loader=StrictYamlLoader)
    if not isinstance(root, yaml.MappingNode):
        raise ProgramError(f"program.yaml is not a mapping; {_BY_HAND}")
    found = [value for key, value in root.value if key.value == "court_orders"]
    if not found:
        tail = "" if text.endswith("\n") else "\n"
        return text + tail + "court_orders:\n" + "\n".join(_entry_lines(entry_text, 2)) + "\n"
    orders = found[0]
    if not isinstance(orders, yaml.SequenceNode):
        raise ProgramError(f"court_orders is not a list; {_BY_HAND}")
    if orders.flow_style:
        if orders.value:
            raise ProgramError(f"court_orders is written in flow style; {_BY_HAND}")
        lines = "\n".join(_entry_lines(entry_text, 2))
        start, end = int(orders.start_mark.index), int(orders.end_mark.index)
        return f"{text[:start].rstrip(' ')}\n{lines}{text[end:]}"
    ids = [_item_id(item) for item in orders.value]
    if order_id in ids:
        item = orders.value[ids.index(order_id)]
        dash, column = _dash_column(text, item)
        start = dash - column
        end = _line_end(text, _content_end(item))
        return text[:start] + "\n".join(_entry_lines(entry_text, column)) + text[end:]
    _, column = _dash_column(text, orders.value[0])
    end = _line_end(text, _content_end(orders.value[-1]))
    return text[:end] + "\n" + "\n".join(_entry_lines(entry_text, column)) + text[end:]


def _item_id(item: yaml.Node) -> str | None:
    if not isinstance(item, yaml.MappingNode):
        return None
    return next((str(v.value) for k, v in item.value if k.value == "id"), None)


def _loads_as(folder: Path, program_id: str, text: str) -> str | None:
    """The hash of the program `folder` holds with program.yaml replaced by `text`."""
    with tempfile.TemporaryDirectory(prefix="grantreview-add-order-") as scratch:
        copy = Path(scratch) / program_id
        shutil.copytree(folder, copy, symlinks=True)
        (copy / PROGRAM_FILE).write_text(text, encoding="utf-8")
        try:
            return load_program(Path(scratch), program_id).sha256
        except ProgramError:
            return None


def edited_program_text(
    programs_dir: Path,
    program_id: str,
    *,
    order_id: str,
    entry_text: str,
    entry: object,
    after: ProgramBundle,
) -> tuple[str, str]:
    """program.yaml as read, and with the entry spliced in; refused unless it loads as `after`.

    The order file's own text is tried first (its comments kept), then a plain dump of the
    parsed entry.
    """
    folder = programs_dir / program_id
    text = (folder / PROGRAM_FILE).read_text(encoding="utf-8")
    dumped = yaml.safe_dump(entry, sort_keys=False, allow_unicode=True, width=4096)
    for candidate in (entry_text, dumped):
        try:
            edited = _splice(text, candidate, order_id)
        except (ProgramError, yaml.YAMLError):
            continue
        if _loads_as(folder, program_id, edited) == after.sha256:
            return text, edited
    raise ProgramError(
        f"{folder / PROGRAM_FILE}: cannot add order {order_id!r} so that the file loads as "
        f"previewed; {_BY_HAND}"
    )


def write_program_text(programs_dir: Path, program_id: str, read: str, edited: str) -> None:
    """Replace program.yaml with `edited` atomically, unless it changed since it was `read`."""
    path = programs_dir / program_id / PROGRAM_FILE
    if path.read_text(encoding="utf-8") != read:
        raise ProgramError(f"{path}: changed while the order was being added; run it again")
    mode = path.stat().st_mode & 0o777
    handle, temporary = tempfile.mkstemp(prefix=".program-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(edited)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
