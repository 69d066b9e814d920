"""A raw HTTP/1.1 exchange over a socket, for requests an HTTP library refuses to send:
unnormalised paths, lying Content-Length, conflicting framing headers."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class RawResponse:
    status: int | None
    """None when the server closed the connection without answering."""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def exchange(
    url: str,
    method: str,
    target: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    *,
    content_length: int | None = None,
    close_write: bool = False,
    timeout: float = 10,
) -> RawResponse:
    """Send one request exactly as given and read one response.

    `content_length` overrides the header (it may lie); without it the true length is sent,
    unless a Transfer-Encoding header is given. With `close_write` the client half-closes
    after the body, as a client that died mid-upload would.
    """
    parts = urlsplit(url)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    given = [name.lower() for name, _ in headers or []]
    if content_length is not None:
        lines.append(f"Content-Length: {content_length}")
    elif "content-length" not in given and "transfer-encoding" not in given:
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{name}: {value}" for name, value in headers or []]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout) as sock:
        sock.sendall(request)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        data = bytearray()
        while chunk := _recv(sock):
            data += chunk
    if not data:
        return RawResponse(None)
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return RawResponse(int(status_line.split()[1]), parsed, rest)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""
