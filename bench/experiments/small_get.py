"""Where a small GET's time goes in the app itself, with uvicorn and sockets out of the way.

The service (auth, JSON access log to /dev/null, metrics, local store) and the bare Starlette
baseline (bench/bare.py, reading the file in the event loop) are called in-process through
ASGI, in turns, on the same 1 KiB object. The ratio of their per-request times is the ceiling
of `small_get_vs_bare` for this app: uvicorn's HTTP work, which both pay over sockets, only
brings the measured ratio closer to 1. A third app is the floor of any GET route: the same
service with one more route (a DirectRoute, last in the table) that answers the 1 KiB body at
once, without auth or the store: every middleware and FastAPI's routing, nothing else.
With `--profile` a cProfile of the service's GETs is printed (cumulative, top entries).

    python -m bench.experiments.small_get [rounds] [--profile]
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message

from tests.fixtures.service import AUTH_W, TOKENS

REQUESTS = 2000


def scope(method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1),
    }


async def call(app: ASGIApp, request: dict[str, Any], body: bytes = b"") -> int:
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(dict(request), receive, send)
    return status


async def per_request(app: ASGIApp, request: dict[str, Any]) -> float:
    start = time.perf_counter()
    for _ in range(REQUESTS):
        if await call(app, request) != 200:
            raise RuntimeError(f"{request['path']} did not answer 200")
    return (time.perf_counter() - start) / REQUESTS


async def measure(rounds: int, profile: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="small-get-"))
    body = os.urandom(1024)
    (work / "small.bin").write_bytes(body)
    os.environ.update(
        BUCKETPORT_STORAGE_URL=f"file://{work / 'store'}",
        BUCKETPORT_AUTH_TOKENS=json.dumps(TOKENS),
        BUCKETPORT_LOG_FORMAT="json",
        BENCH_BARE_ROOT=str(work),
    )
    from fastapi import Response

    from bench.bare import app as bare
    from service.api.direct import direct_route
    from service.app import create_app
    from service.observability.logging import configure_logging
    from service.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    service = create_app(settings)

    @direct_route(service.router, "/floor/{key:key}", methods=["GET"])
    async def floor(key: str) -> Response:
        return Response(body)

    async with service.router.lifespan_context(service):
        put = scope("PUT", "/v1/objects/small.bin", AUTH_W)
        if await call(service, put, body) not in (200, 201):
            raise RuntimeError("the upload failed")
        get = scope("GET", "/v1/objects/small.bin", AUTH_W)
        runs: dict[str, Callable[[], Awaitable[float]]] = {
            "service": lambda: per_request(service, get),
            "bare": lambda: per_request(bare, scope("GET", "/files/small.bin", {})),
            "floor": lambda: per_request(service, scope("GET", "/floor/small.bin", {})),
        }
        seen: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(rounds):
            for name, run in runs.items():
                seen[name].append(await run())
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            await per_request(service, get)
            profiler.disable()
    service_s, bare_s, floor_s = (statistics.median(seen[n]) for n in ("service", "bare", "floor"))
    print(
        f"service {service_s * 1e6:.0f} us/GET, bare {bare_s * 1e6:.0f}, floor {floor_s * 1e6:.0f}"
    )
    print(f"in-process ceiling of small_get_vs_bare: {bare_s / service_s:.2f}")
    print(f"the same for a GET route that does nothing (the floor): {bare_s / floor_s:.2f}")
    if profile:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--profile"]
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (where the access log's handler writes)
    asyncio.run(measure(int(args[0]) if args else 5, "--profile" in sys.argv))
