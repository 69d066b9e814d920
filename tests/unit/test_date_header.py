"""The Date the app adds is the current second's, however often it is formatted."""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate

import pytest
from starlette.types import Message, Receive, Scope, Send

from service.api.date import DateHeader


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _date(app: DateHeader) -> bytes:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "method": "GET", "path": "/"}, receive, send))
    (date,) = [value for name, value in sent[0]["headers"] if name == b"date"]
    return bytes(date)


def test_the_date_follows_the_clock_across_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    app = DateHeader(_answer)
    start = 1_780_000_000.0
    for offset in (0.0, 0.2, 0.999, 1.0, 1.5, 61.25, 3600.0, 0.5):  # also a clock set back
        monkeypatch.setattr(time, "time", lambda offset=offset: start + offset)
        assert _date(app) == formatdate(int(start + offset), usegmt=True).encode()


def test_a_date_the_app_set_is_kept() -> None:
    async def dated(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"date", b"Thu, 01 Jan 2026 00:00:00 GMT")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    assert _date(DateHeader(dated)) == b"Thu, 01 Jan 2026 00:00:00 GMT"
