"""The bare Starlette baseline: write a request body to a file, serve a file, say hello;
nothing else.

Run by the benchmark under the same uvicorn settings as the service, with BENCH_BARE_ROOT set.
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROOT = Path(os.environ.get("BENCH_BARE_ROOT", "."))


async def get_file(request: Request) -> Response:
    # Read in the event loop and sent in one message: the fastest plain way for small files
    # (Starlette's FileResponse, with its thread hops, is ten times slower here).
    return Response((ROOT / request.path_params["name"]).read_bytes())


async def put_file(request: Request) -> Response:
    # The fastest plain way: writes straight from the event loop (page cache), then the same
    # durability as the service: on disk (fsync) before the answer.
    with (ROOT / request.path_params["name"]).open("wb") as out:
        async for chunk in request.stream():
            out.write(chunk)
        out.flush()
        await anyio.to_thread.run_sync(os.fsync, out.fileno())
    return Response(status_code=201)


async def hello(request: Request) -> Response:
    # What /healthz answers, from a plain route: the floor for any route of the service.
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/hello", hello, methods=["GET"]),
        Route("/files/{name}", get_file, methods=["GET"]),
        Route("/files/{name}", put_file, methods=["PUT"]),
    ]
)
