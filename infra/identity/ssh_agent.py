"""A client of the person's ssh-agent (`SSH_AUTH_SOCK`): list its keys, ask it to sign.

The agent protocol (draft-miller-ssh-agent) needs two requests here: REQUEST_IDENTITIES
(11, answered by 12) and SIGN_REQUEST (13, answered by 14, or FAILURE 5), so it is written
on the standard library rather than taken from paramiko: paramiko's `Agent` reads
`SSH_AUTH_SOCK` from the process environment itself (not from our settings) and, when the
socket cannot be reached, silently reports no keys, so "agent down" (exit 3) could not be
told from "no key of yours" (exit 2) without its private API; it would also add pynacl,
bcrypt and invoke for some sixty lines.

The socket path is never put in an error, a log line or anything stored: errors name the
setting, SSH_AUTH_SOCK.
"""

from __future__ import annotations

import socket
import struct
from typing import TYPE_CHECKING, Final

from infra.errors import DependencyRefusedError, DependencyUnavailableError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["SshAgent"]

_FAILURE: Final = 5
_REQUEST_IDENTITIES: Final = 11
_IDENTITIES_ANSWER: Final = 12
_SIGN_REQUEST: Final = 13
_SIGN_RESPONSE: Final = 14
_MAX_MESSAGE: Final = 256 * 1024
"""OpenSSH's own limit on an agent message."""
_TIMEOUT_SECONDS: Final = 120.0
"""Long enough for a person to confirm on an agent that asks (`ssh-add -c`)."""
_SETTING: Final = "SSH_AUTH_SOCK"


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _malformed() -> DependencyUnavailableError:
    return DependencyUnavailableError(f"{_SETTING}: the ssh-agent's answer is malformed")


class _Reader:
    """Reads SSH wire fields from one agent answer; any shortfall is a malformed answer."""

    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def uint32(self) -> int:
        if self.offset + 4 > len(self.data):
            raise _malformed()
        (value,) = struct.unpack_from(">I", self.data, self.offset)
        self.offset += 4
        return int(value)

    def string(self) -> bytes:
        length = self.uint32()
        end = self.offset + length
        if end > len(self.data):
            raise _malformed()
        value = self.data[self.offset : end]
        self.offset = end
        return value


class SshAgent:
    """The agent listening at a Unix socket; one connection per request."""

    def __init__(self, socket_path: Path) -> None:
        self._path = socket_path

    def __repr__(self) -> str:
        return "SshAgent(SSH_AUTH_SOCK)"  # never the path

    def identities(self) -> list[bytes]:
        """The public key blobs (SSH wire form) of every key the agent holds."""
        answer_type, body = self._request(_REQUEST_IDENTITIES, b"")
        if answer_type != _IDENTITIES_ANSWER:
            raise DependencyRefusedError(f"{_SETTING}: the ssh-agent would not list its keys")
        reader = _Reader(body)
        blobs = []
        for _ in range(reader.uint32()):
            blobs.append(reader.string())
            reader.string()  # the comment: often a path or an address, never used
        return blobs

    def sign(self, key_blob: bytes, data: bytes) -> bytes:
        """The agent's wire signature (string type, string sig) of `data` with that key."""
        request = _string(key_blob) + _string(data) + struct.pack(">I", 0)
        answer_type, body = self._request(_SIGN_REQUEST, request)
        if answer_type == _FAILURE:
            raise DependencyRefusedError(f"{_SETTING}: the ssh-agent refused to sign")
        if answer_type != _SIGN_RESPONSE:
            raise _malformed()
        reader = _Reader(body)
        signature = reader.string()
        if reader.offset != len(body):
            raise _malformed()
        return signature

    def _request(self, message_type: int, body: bytes) -> tuple[int, bytes]:
        payload = bytes([message_type]) + body
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(_TIMEOUT_SECONDS)
                connection.connect(str(self._path))
                connection.sendall(_string(payload))
                (length,) = struct.unpack(">I", _receive(connection, 4))
                if not 1 <= length <= _MAX_MESSAGE:
                    raise _malformed()
                answer = _receive(connection, length)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise DependencyUnavailableError(
                f"{_SETTING}: the ssh-agent cannot be reached ({reason}); is it running?"
            ) from None
        return answer[0], answer[1:]


def _receive(connection: socket.socket, count: int) -> bytes:
    chunks: list[bytes] = []
    remaining = count
    while remaining:
        chunk = connection.recv(min(remaining, 65536))
        if not chunk:
            raise _malformed()
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
