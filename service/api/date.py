"""The Date header of every response, set by the app rather than the server.

uvicorn stamps a Date it refreshes about once a second, so it can lag the moment a response
is made; the object routes promise Last-Modified <= Date (RFC 9110 §8.8.2.1) and so write
their own Date, and this middleware gives every other response one. The server's own Date
is turned off (service.server).
"""

from __future__ import annotations

import time
from email.utils import formatdate

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class DateHeader:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._second = -1
        self._date = b""

    def now(self) -> bytes:
        """The HTTP date of this second. A Date has whole seconds, so it is formatted once per
        second: formatting it for every request was about a tenth of a `/healthz`'s CPU."""
        second = int(time.time())
        if second != self._second:
            self._second, self._date = second, formatdate(second, usegmt=True).encode()
        return self._date

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"date" for name, _ in headers):
                    headers.append((b"date", self.now()))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_dated)
