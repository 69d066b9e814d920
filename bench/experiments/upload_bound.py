"""What a local upload that must hash every byte, and must not block its loop on disk, can reach.

`upload_local_vs_bare` compares the service with `bench.bare`, which writes each received piece
from the event loop, hashes nothing and fsyncs once. This runs that baseline next to routes that
add, one at a time, what the service may not drop:

    bare      bench.bare's route: write in the loop, fsync in a thread
    sha256    the same, plus SHA-256 of every piece in the loop
    hop       pieces gathered to 1 MiB, each batch hashed and written (writev) in one thread hop,
              the loop waiting for it (the disk never blocks the loop)
    overlap   the same, with one batch in the thread while the loop receives the next
              (what the local store does since this experiment)
    loophash  as overlap, but each piece hashed in the loop as it arrives; the thread only
              writes (fewer GIL hand-overs per batch, the hash off the second core)

All in one uvicorn process (the bench's settings), uploads by curl, interleaved in rounds. It
prints each route's wall-time ratio to `bare` and the server's CPU seconds per upload (CPU time
barely moves when other jobs load the machine; wall time does). `hop` and `overlap` bound what
the service's write path can reach before its own middleware, routing and trailer.

    python -m bench.experiments.upload_bound [MiB] [rounds]
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio.to_thread
import psutil
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import load
from bench.experiments import cpu_seconds
from bench.servers import stopping, wait_http
from tests.fixtures.service import REPO, free_port

MIB = 1024 * 1024
ROOT = Path(os.environ.get("BENCH_BARE_ROOT", "."))
Pieces = list[bytes]


async def bare(request: Request) -> Response:
    with (ROOT / "bare").open("wb") as out:
        async for chunk in request.stream():
            out.write(chunk)
        out.flush()
        await anyio.to_thread.run_sync(os.fsync, out.fileno())
    return Response(status_code=201)


async def sha256(request: Request) -> Response:
    digest = hashlib.sha256()
    with (ROOT / "sha256").open("wb") as out:
        async for chunk in request.stream():
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        await anyio.to_thread.run_sync(os.fsync, out.fileno())
    return Response(status_code=201, headers={"x-sha256": digest.hexdigest()})


def write_batch(fd: int, pieces: Pieces, digest: hashlib._Hash | None) -> None:
    for piece in pieces:
        if digest is not None:
            digest.update(piece)  # releases the GIL for pieces over 2 KiB
    os.writev(fd, pieces)  # a regular file takes all of it (or raises)


async def _threaded(
    request: Request, name: str, overlap: bool, hash_in_loop: bool = False
) -> Response:
    digest = hashlib.sha256()
    fd = os.open(ROOT / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    in_flight: asyncio.Future[None] | None = None

    def start(pieces: Pieces) -> Awaitable[None]:
        in_thread = None if hash_in_loop else digest
        return anyio.to_thread.run_sync(write_batch, fd, pieces, in_thread)

    try:
        pieces: Pieces = []
        size = 0
        async for chunk in request.stream():
            if hash_in_loop:
                digest.update(chunk)
            pieces.append(chunk)
            size += len(chunk)
            if size >= MIB:
                if in_flight is not None:
                    await in_flight
                    in_flight = None
                if overlap:
                    in_flight = asyncio.ensure_future(start(pieces))
                else:
                    await start(pieces)
                pieces, size = [], 0
        if in_flight is not None:
            await in_flight
        if pieces:
            await start(pieces)
        await anyio.to_thread.run_sync(os.fsync, fd)
    finally:
        os.close(fd)
    return Response(status_code=201, headers={"x-sha256": digest.hexdigest()})


async def hop(request: Request) -> Response:
    return await _threaded(request, "hop", overlap=False)


async def overlap(request: Request) -> Response:
    return await _threaded(request, "overlap", overlap=True)


async def loophash(request: Request) -> Response:
    return await _threaded(request, "loophash", overlap=True, hash_in_loop=True)


ROUTES: dict[str, Callable[[Request], Awaitable[Response]]] = {
    "bare": bare,
    "sha256": sha256,
    "hop": hop,
    "overlap": overlap,
    "loophash": loophash,
}
app = Starlette(routes=[Route(f"/{name}", put, methods=["PUT"]) for name, put in ROUTES.items()])


def main(mib: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="upload-bound-") as tmp:
        work = Path(tmp)
        source = work / "body.bin"
        with source.open("wb") as out:
            for _ in range(mib):
                out.write(os.urandom(MIB))
        port = free_port()
        command = [
            sys.executable,
            *("-m", "uvicorn", "bench.experiments.upload_bound:app"),
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--no-access-log", "--no-server-header", "--log-level", "warning"),
        ]
        env = {**os.environ, "BENCH_BARE_ROOT": str(work)}
        with stopping(subprocess.Popen(command, cwd=REPO, env=env)) as server:
            url = f"http://127.0.0.1:{port}"
            wait_http(url + "/", server, 60)
            process = psutil.Process(server.pid)
            wall: dict[str, list[float]] = {name: [] for name in ROUTES}
            used: dict[str, list[float]] = {name: [] for name in ROUTES}
            for _ in range(rounds):
                for name in ROUTES:
                    before = cpu_seconds(process)
                    wall[name].append(load.upload(f"{url}/{name}", source))
                    used[name].append(cpu_seconds(process) - before)
    base = statistics.median(wall["bare"])
    for name in ROUTES:
        seconds = statistics.median(wall[name])
        print(
            f"{name:8s} {mib / seconds:6.0f} MiB/s  {base / seconds:.2f} of bare  "
            f"server CPU {statistics.median(used[name]):.2f} s per {mib} MiB"
        )


if __name__ == "__main__":
    args = [int(arg) for arg in sys.argv[1:3]]
    main(args[0] if args else 256, args[1] if len(args) > 1 else 5)
