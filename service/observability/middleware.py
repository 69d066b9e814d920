"""One pure-ASGI middleware for request ids, the access log and the HTTP metrics."""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.observability.metrics import Metrics

access_log = logging.getLogger("bucketport.access")
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
# Request ids made here: a random prefix per process and a counter, 32 hex digits like a UUID
# (a uuid4 per request costs a getrandom system call on the hot path).
_ID_PREFIX = secrets.token_hex(8)
_ids = itertools.count()


class RequestObserver:
    """Gives each request an id (X-Request-ID honoured when sane), measures it, logs one line.

    Route labels are templates (`/v1/objects/{key:path}`), never raw paths, so metric
    cardinality stays bounded whatever the keys.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        # The labelled children per (method, route, status): bounded like the metrics
        # themselves, and a dict lookup instead of prometheus_client's labels() per request.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id" and _SAFE_ID.match(value):
                request_id = value
        request_id = request_id or f"{_ID_PREFIX}{next(_ids):016x}".encode()
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        status = 500
        received = sent = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
            return message

        async def observing_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, counting_receive, observing_send)
        finally:
            self.metrics.in_flight.dec()
            duration = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            children = self._children.get((method, template, status))
            if children is None:
                children = self._children[method, template, status] = (
                    self.metrics.requests.labels(method, template, str(status)),
                    self.metrics.latency.labels(method, template),
                )
            children[0].inc()
            children[1].observe(duration)
            self.metrics.bytes_in.inc(received)
            self.metrics.bytes_out.inc(sent)
            level = logging.DEBUG if template in PROBES else logging.INFO
            if access_log.isEnabledFor(level):  # no record to build for a dropped line
                access_log.log(
                    level,
                    "%s %s %d",
                    method,
                    template,
                    status,
                    extra={
                        "method": method,
                        "route": template,
                        "status": status,
                        "bytes_in": received,
                        "bytes_out": sent,
                        "duration_ms": round(duration * 1000, 3),
                        "request_id": request_id.decode(),
                        "principal": scope["state"].get("principal"),
                    },
                )
