"""What bounds `download_s3_vs_direct`: any Python server in front of boto3, on the same moto.

The benchmark compares the service's GET (curl to /dev/null) with boto3 reading the object
straight from the emulator in the benchmark process. This puts rungs in between, all on one
moto server and one 64 MiB object (the one the service uploaded, so the same S3 object and
checksum metadata), measured in turns:

  direct          boto3 get_object, read in 1 MiB pieces (the benchmark's baseline)
  direct+sha      the same with ChecksumMode=ENABLED: botocore verifies the SHA-256 as it reads
  proxy-inline    a bare Starlette app streaming get_object to curl, reading in the event loop
                  (no thread hop: the cheapest proxy, fine for one client only)
  proxy           the same reading each 1 MiB in a worker thread (what a server that must not
                  block its event loop does; the service does this)
  proxy+sha       proxy with ChecksumMode=ENABLED (what the service asks for)
  service         GET /v1/objects/... through the service

For each: wall time (median), the emulator's CPU seconds and the server's (the proxy's or the
service's; for `direct` the benchmark process's own) per 64 MiB. The ratio direct/proxy+sha is
what any server doing the service's job can reach on this machine.

    python -m bench.experiments.s3_download_bound [rounds]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import anyio.to_thread
import psutil
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bench import load, servers
from bench.experiments import cpu_seconds
from bench.suite import s3_client
from tests.fixtures.service import AUTH_W, REPO, free_port

MIB = 1024 * 1024
SIZE = 64 * MIB
BUCKET = "bench-experiment"


def proxy_app(endpoint: str, bucket: str, key: str) -> Starlette:
    """GET /inline, /hop and /hop-sha: the object from S3, streamed to the client."""
    client = s3_client(endpoint)

    def handler(hop: bool, checksum: bool) -> Callable[[Request], Any]:
        extra = {"ChecksumMode": "ENABLED"} if checksum else {}

        async def get(request: Request) -> Response:
            fetch = partial(client.get_object, Bucket=bucket, Key=key, **extra)
            response = await anyio.to_thread.run_sync(fetch)
            body = response["Body"]

            async def chunks() -> Any:
                try:
                    while True:
                        chunk = (
                            await anyio.to_thread.run_sync(body.read, MIB)
                            if hop
                            else body.read(MIB)
                        )
                        if not chunk:
                            return
                        yield chunk
                finally:
                    body.close()

            length = str(response["ContentLength"])
            return StreamingResponse(chunks(), headers={"content-length": length})

        return get

    return Starlette(
        routes=[
            Route("/inline", handler(False, False)),
            Route("/hop", handler(True, False)),
            Route("/hop-sha", handler(True, True)),
        ]
    )


def serve(port: int) -> None:
    import uvicorn

    app = proxy_app(os.environ["PROXY_ENDPOINT"], BUCKET, os.environ["PROXY_KEY"])
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")


@contextmanager
def proxy(endpoint: str, key: str) -> Iterator[tuple[str, psutil.Process]]:
    port = free_port()
    command = [sys.executable, "-m", "bench.experiments.s3_download_bound", "serve", str(port)]
    env = {**os.environ, "PROXY_ENDPOINT": endpoint, "PROXY_KEY": key}
    with servers.stopping(subprocess.Popen(command, cwd=REPO, env=env)) as process:
        url = f"http://127.0.0.1:{port}"
        servers.wait_http(url + "/", process)
        yield url, psutil.Process(process.pid)


def main(rounds: int, work: Path) -> None:
    print(f"load average at start: {os.getloadavg()}")
    source = work / "data.bin"
    source.write_bytes(os.urandom(MIB) * (SIZE // MIB))
    with (
        servers.emulator("s3", work, BUCKET) as store,
        servers.service(work, store.service_env(BUCKET)) as svc,
    ):
        url = f"{svc.url}/v1/objects/through-service.bin"
        load.upload(url, source, AUTH_W)
        client = s3_client(store.url)
        (key,) = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
        moto = psutil.Process(store.process.pid)  # type: ignore[union-attr]
        me = psutil.Process()

        def direct(checksum: bool) -> float:
            extra = {"ChecksumMode": "ENABLED"} if checksum else {}
            start = time.perf_counter()
            body = client.get_object(Bucket=BUCKET, Key=key, **extra)["Body"]
            got = sum(len(chunk) for chunk in body.iter_chunks(MIB))
            assert got == SIZE, got
            return time.perf_counter() - start

        with proxy(store.url, key) as (proxy_url, proxy_process):
            cases: dict[str, tuple[Callable[[], float], psutil.Process]] = {
                "direct": (lambda: direct(False), me),
                "direct+sha": (lambda: direct(True), me),
                "proxy-inline": (lambda: load.download(f"{proxy_url}/inline", SIZE), proxy_process),
                "proxy": (lambda: load.download(f"{proxy_url}/hop", SIZE), proxy_process),
                "proxy+sha": (lambda: load.download(f"{proxy_url}/hop-sha", SIZE), proxy_process),
                "service": (
                    lambda: load.download(url, SIZE, AUTH_W),
                    psutil.Process(svc.process.pid),
                ),
            }
            wall: dict[str, list[float]] = {name: [] for name in cases}
            store_cpu: dict[str, list[float]] = {name: [] for name in cases}
            server_cpu: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(rounds):
                for name, (run, server) in cases.items():
                    before = cpu_seconds(moto), cpu_seconds(server)
                    wall[name].append(run())
                    store_cpu[name].append(cpu_seconds(moto) - before[0])
                    server_cpu[name].append(cpu_seconds(server) - before[1])
    base = statistics.median(wall["direct"])
    print(f"64 MiB from moto, median of {rounds}; ratio = direct time / this time:")
    for name in cases:
        seconds = statistics.median(wall[name])
        print(
            f"  {name:13} {SIZE / MIB / seconds:7.1f} MiB/s  ratio {base / seconds:5.3f}"
            f"  moto CPU {statistics.median(store_cpu[name]):5.2f} s"
            f"  server/client CPU {statistics.median(server_cpu[name]):5.2f} s"
        )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]))
    else:
        with tempfile.TemporaryDirectory(prefix="s3-download-bound-") as tmp:
            main(int(sys.argv[1]) if len(sys.argv) > 1 else 5, Path(tmp))
