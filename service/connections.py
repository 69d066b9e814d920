"""Connection limits in the HTTP protocol: before the app runs and before parsing costs grow.

uvicorn's httptools protocol bounds none of these: a request head of any size or header count
is parsed (httptools joins a long header's pieces on the event loop), a connection that never
sends a byte or trickles its head is held forever, and `limit_concurrency` answers 503 only once
a head was parsed, so idle sockets still use up descriptors. `GuardedProtocol` adds the bounds
as a thin subclass over uvicorn's parser callbacks; everything else is uvicorn's.

One timer per connection, in turn:
- idle: a new connection must send its first byte within `idle_timeout`;
- head: from its first byte, the head must be complete within `header_timeout` (408);
- body: while a body is expected, some of it must arrive every `body_timeout`, unless the app
  itself is not reading (flow control, or no 100 Continue sent yet); otherwise the connection is
  dropped, the app sees a disconnect and the upload is abandoned with nothing stored;
- between requests: uvicorn's own keep-alive timer (`keep_alive_seconds`).
At `max_connections` a new connection closes the one that has waited longest for a request; if
none is waiting, the newcomer gets 503 and is closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.settings import Settings

logger = logging.getLogger("bucketport.connections")
HEAD_END = b"\r\n\r\n"
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024
"""After refusing a head, read and drop what the client still sends, for up to this long and this
much, so it can read the answer (closing with unread data resets the connection, and the answer
is lost). A client that sends more (a multi-megabyte head) is cut off."""
REFUSAL_STATUSES = (400, 408, 431, 503)
"""What `GuardedProtocol` can answer before any route runs: every operation documents them."""


@dataclass(frozen=True)
class Limits:
    max_connections: int
    idle_timeout: float
    header_timeout: float
    body_timeout: float
    max_header_bytes: int
    max_headers: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            max_connections=settings.max_connections,
            idle_timeout=settings.idle_timeout_seconds,
            header_timeout=settings.header_timeout_seconds,
            body_timeout=settings.body_timeout_seconds,
            max_header_bytes=settings.max_header_bytes,
            max_headers=settings.max_headers,
        )


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a head that is over a limit."""


def problem_bytes(status: int, code: str, detail: str) -> bytes:
    """A complete HTTP/1.1 problem+json response that closes the connection."""
    phrase = HTTPStatus(status).phrase
    body = json.dumps(
        {
            "type": f"urn:bucketport:problem:{code}",
            "title": phrase,
            "status": status,
            "detail": detail,
            "code": code,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {phrase}\r\n"
        "content-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above. Make one class per server with
    `guarded_protocol(limits)`: the waiting-connection table belongs to that server."""

    limits: ClassVar[Limits]
    waiting: ClassVar[dict[GuardedProtocol, None]]
    """Connections waiting for a request, longest-waiting first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._in_head = True
        self._head_bytes = 0
        self._head_tail = b""
        self._header_count = 0
        self._body_seen = 0.0
        self._refusal: bytes | None = None
        self._lingering = False
        self._discarded = 0

    # -- connection -----------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections and not self._evict_waiting():
            logger.warning("connection refused: %d connections open", len(self.connections) - 1)
            transport.write(
                problem_bytes(503, "too_many_connections", "The server has too many connections.")
            )
            transport.close()
            return
        self.waiting[self] = None
        self._arm(self.limits.idle_timeout, self._close_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.waiting.pop(self, None)
        super().connection_lost(exc)

    def _evict_waiting(self) -> bool:
        for victim in self.waiting:
            if victim is not self:
                del self.waiting[victim]
                victim.transport.close()
                return True
        return False

    # -- bytes in -------------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._lingering:
            self._discarded += len(data)
            if self._discarded > LINGER_BYTES:
                self.transport.close()
            return
        self.waiting.pop(self, None)
        if self._in_head:
            if self._head_bytes == 0:
                self._arm(self.limits.header_timeout, self._head_too_slow)
            seen = self._head_tail + data
            end = seen.find(HEAD_END)
            size = self._head_bytes + (len(data) if end < 0 else end + 4 - len(self._head_tail))
            if size > self.limits.max_header_bytes:
                self._refuse_head(
                    431,
                    "header_too_large",
                    f"The request head is larger than {self.limits.max_header_bytes} bytes.",
                )
                return
            self._head_bytes += len(data)
            self._head_tail = seen[-3:]
        else:
            self._body_seen = self.loop.time()  # a clock read, not a new timer, per chunk
        super().data_received(data)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            detail = f"The request has more than {self.limits.max_headers} headers."
            self._refusal = problem_bytes(431, "too_many_headers", detail)
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._body_seen = self.loop.time()
        self._arm(self.limits.body_timeout, self._watch_body)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_head = True
        self._head_bytes = self._header_count = 0
        self._head_tail = b""
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self._in_head and self._head_bytes == 0:
            self.waiting[self] = None  # keep-alive: uvicorn's own timer runs now

    # -- refusing -------------------------------------------------------------------------------
    def send_400_response(self, msg: str) -> None:
        """uvicorn calls this for any parser error, including our own `_Refused`."""
        refusal, self._refusal = self._refusal, None
        answer = refusal or problem_bytes(
            400, "malformed_request", "The request is not valid HTTP/1.1."
        )
        self._answer_and_linger(answer)

    def _refuse_head(self, status: int, code: str, detail: str) -> None:
        logger.warning("request refused: %s", detail, extra={"code": code})
        self._answer_and_linger(problem_bytes(status, code, detail))

    def _answer_and_linger(self, answer: bytes) -> None:
        self._disarm()
        self._lingering = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # a pipelined head while a response is going out: just go
            return
        self.transport.write(answer)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._arm(LINGER_SECONDS, self.transport.close)

    # -- timers ---------------------------------------------------------------------------------
    def _arm(self, seconds: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _close_idle(self) -> None:
        self._timer = None
        self.waiting.pop(self, None)
        self.transport.close()

    def _head_too_slow(self) -> None:
        self._timer = None
        self._refuse_head(
            408,
            "header_timeout",
            f"The request head did not arrive within {self.limits.header_timeout:g}s.",
        )

    def _watch_body(self) -> None:
        self._timer = None
        now = self.loop.time()
        waiting_for_app = self.flow.read_paused or (
            self.cycle is not None and self.cycle.waiting_for_100_continue
        )
        if waiting_for_app:  # the app is not reading (yet): not the client's doing
            self._body_seen = now
        quiet = now - self._body_seen
        if quiet < self.limits.body_timeout:
            self._arm(self.limits.body_timeout - quiet, self._watch_body)
            return
        logger.warning(
            "upload dropped: no body byte for %gs",
            self.limits.body_timeout,
            extra={"code": "body_timeout"},
        )
        self.transport.close()


def guarded_protocol(limits: Limits) -> type[GuardedProtocol]:
    """A protocol class for one server, with its own limits and waiting-connection table."""
    return type("GuardedProtocol", (GuardedProtocol,), {"limits": limits, "waiting": {}})
