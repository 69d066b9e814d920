"""The Date header of every response, set by the app rather than the server.

uvicorn stamps a Date it refreshes about once a second, so it can lag the moment a response
is made; the object routes promise Last-Modified <= Date (RFC 9110 §8.8.2.1) and so write
their own Date, and this middleware gives every other response one. The server's own Date
is turned off (service.server).
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from email.utils import formatdate
from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@lru_cache(maxsize=1024)
def _format(second: int) -> str:
    return formatdate(second, usegmt=True)


def http_date(moment: datetime | float) -> str:
    """The IMF-fixdate of a moment (a datetime, or seconds since the epoch). An HTTP date has
    whole seconds, so each second is formatted once (the current one and the Last-Modified of
    hot objects recur): formatting for every response was about a tenth of a `/healthz`'s CPU.
    """
    seconds = moment.timestamp() if isinstance(moment, datetime) else moment
    return _format(math.floor(seconds))


class DateHeader:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def now() -> bytes:
        return http_date(time.time()).encode()

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
