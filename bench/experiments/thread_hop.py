"""What one thread-pool hop per request costs a small GET, with nothing else in the way.

A bare Starlette route reads a 1 KiB file in the event loop, another reads it through
`anyio.to_thread.run_sync` (what the local store does for every read, so that a slow disk
never stalls the event loop). Both are called in-process, without sockets, so only the route
and the hop are measured. The ratio bounds any design that hops once per request.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message


def app_for(path: Path) -> Starlette:
    async def inline(request: Request) -> Response:
        return Response(path.read_bytes())  # noqa: ASYNC240 (the inline case measured)

    async def hop(request: Request) -> Response:
        return Response(await anyio.to_thread.run_sync(path.read_bytes))

    return Starlette(routes=[Route("/inline", inline), Route("/hop", hop)])


async def per_request(app: Starlette, route: str, requests: int) -> float:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1),
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        return None

    start = time.perf_counter()
    for _ in range(requests):
        await app(dict(scope), receive, send)
    return (time.perf_counter() - start) / requests


async def main(rounds: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "small.bin"
        path.write_bytes(os.urandom(1024))
        app = app_for(path)
        seen: dict[str, list[float]] = {"/inline": [], "/hop": []}
        for _ in range(rounds):
            for route, times in seen.items():
                times.append(await per_request(app, route, requests))
    inline, hop = (statistics.median(seen[route]) for route in ("/inline", "/hop"))
    print(f"inline read {inline * 1e6:.0f} us/request, with one hop {hop * 1e6:.0f} us/request")
    print(f"one hop per request: {inline / hop:.2f} of the inline rate")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5, 2000))
