"""Reading a response file from disk, bounded, before anything is written."""

from __future__ import annotations

from pathlib import Path

from schemas.program.response import MAX_RESPONSE_BYTES, Response, ResponseError, parse_response

__all__ = ["read_response_file"]


def read_response_file(path: Path) -> tuple[bytes, Response]:
    """The file's exact bytes and the parsed response; never reads more than 1 MiB + 1."""
    if not path.is_file():
        raise ResponseError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_RESPONSE_BYTES:
        raise ResponseError(
            f"{path}: response is {size} bytes; the limit is {MAX_RESPONSE_BYTES} bytes (1 MiB)"
        )
    with path.open("rb") as handle:
        raw = handle.read(MAX_RESPONSE_BYTES + 1)
    return raw, parse_response(raw)
