"""What bounds `download_local_vs_nginx`: a Python server streaming a file against sendfile.

The benchmark downloads a large object from the service and the same bytes from nginx
(`sendfile on`), curl to /dev/null. This puts bare Starlette apps in between, measured in turns
on one file:

  nginx           sendfile, one worker (the benchmark's baseline)
  stream-inline   bare Starlette streaming 1 MiB reads made in the event loop
  stream          the same reading each 1 MiB in a worker thread (what a server that must
                  not block its event loop does; the service does this)
  service         GET /v1/objects/... through the service

For each: wall time (median) and the server's CPU seconds per GiB. nginx hands the copy to
the kernel; every Python server copies each byte into user space and out again.

    python -m bench.experiments.local_download_bound [rounds] [MiB]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio.to_thread
import psutil
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bench import load, servers
from bench.experiments import cpu_seconds, listening_child
from tests.fixtures.service import AUTH_W, REPO, free_port

MIB = 1024 * 1024


def stream_app(path: Path) -> Starlette:
    def handler(hop: bool) -> Callable[[Request], object]:
        async def get(request: Request) -> Response:
            async def chunks() -> AsyncIterator[bytes]:
                with path.open("rb") as source:
                    while True:
                        chunk = (
                            await anyio.to_thread.run_sync(source.read, MIB)
                            if hop
                            else source.read(MIB)
                        )
                        if not chunk:
                            return
                        yield chunk

            size = str(path.stat().st_size)  # noqa: ASYNC240 (one stat per download)
            return StreamingResponse(chunks(), headers={"content-length": size})

        return get

    return Starlette(routes=[Route("/inline", handler(False)), Route("/hop", handler(True))])


def serve(port: int) -> None:
    import uvicorn

    app = stream_app(Path(os.environ["STREAM_FILE"]))
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")


@contextmanager
def streamer(path: Path) -> Iterator[tuple[str, psutil.Process]]:
    port = free_port()
    command = [sys.executable, "-m", "bench.experiments.local_download_bound", "serve", str(port)]
    env = {**os.environ, "STREAM_FILE": str(path)}
    with servers.stopping(subprocess.Popen(command, cwd=REPO, env=env)) as process:
        url = f"http://127.0.0.1:{port}"
        servers.wait_http(url + "/", process)
        yield url, psutil.Process(process.pid)


def nginx_process(url: str) -> psutil.Process:
    """nginx's worker: the child of our nginx master that serves (one worker)."""
    master = listening_child(url)
    workers = master.children()
    return workers[0] if workers else master


def main(rounds: int, size: int, work: Path) -> None:
    print(f"load average at start: {os.getloadavg()}")
    work.chmod(0o755)  # nginx workers may run as another user
    source = work / "data" / "big.bin"
    source.parent.mkdir()
    source.write_bytes(os.urandom(MIB) * (size // MIB))
    source.parent.chmod(0o755)
    source.chmod(0o644)
    with (
        servers.service(work, {}) as svc,
        servers.nginx(work, source.parent) as nginx,
        streamer(source) as (stream_url, stream_process),
    ):
        url = f"{svc.url}/v1/objects/big.bin"
        load.upload(url, source, AUTH_W)
        cases: dict[str, tuple[Callable[[], float], psutil.Process]] = {
            "nginx": (lambda: load.download(f"{nginx}/big.bin", size), nginx_process(nginx)),
            "stream-inline": (lambda: load.download(f"{stream_url}/inline", size), stream_process),
            "stream": (lambda: load.download(f"{stream_url}/hop", size), stream_process),
            "service": (
                lambda: load.download(url, size, AUTH_W),
                psutil.Process(svc.process.pid),
            ),
        }
        wall: dict[str, list[float]] = {name: [] for name in cases}
        used: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, (run, server) in cases.items():
                before = cpu_seconds(server)
                wall[name].append(run())
                used[name].append(cpu_seconds(server) - before)
    base = statistics.median(wall["nginx"])
    print(f"{size // MIB} MiB, median of {rounds}; ratio = nginx time / this time:")
    for name in cases:
        seconds = statistics.median(wall[name])
        per_gib = statistics.median(used[name]) * 1024 * MIB / size
        print(
            f"  {name:13} {size / MIB / seconds:7.1f} MiB/s  ratio {base / seconds:5.3f}"
            f"  server CPU {per_gib:5.2f} s/GiB"
        )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]))
    else:
        args = [int(a) for a in sys.argv[1:]]
        rounds, mib = (args + [5, 512][len(args) :])[:2]
        with tempfile.TemporaryDirectory(prefix="local-download-bound-") as tmp:
            main(rounds, mib * MIB, Path(tmp))
