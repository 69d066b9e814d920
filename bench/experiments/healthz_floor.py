"""What bounds `healthz_vs_bare`: the server and each middleware a `/healthz` passes, one at a time.

`/healthz` is answered by `system.fast_healthz` before routing, so what it costs beyond the bare
Starlette hello route is the server configuration and the middleware in front of it. This runs
a ladder of apps, each one layer more than the last, and measures them in two ways:

- in-process (ASGI calls, no sockets; precise): microseconds per request of each rung;
- over sockets (wrk, 32 connections, in turns with the bare hello route, as `make bench`):
  requests per second of each rung as a ratio to the bare route.

Rungs (each includes the ones above it, in the service's order, innermost first):
  raw        a plain ASGI callable sending pre-rendered bytes (no framework at all)
  guard      the same under uvicorn as the service runs it (its GuardedProtocol, no Date header)
  healthz    + system.fast_healthz (path check, route label)
  bodies     + bounded_bodies
  date       + DateHeader
  observer   + RequestObserver (request id, metrics, access log dropped for probes)
  lifecycle  + the drain counter
  service    `python -m service serve` itself (adds FastAPI's ServerErrorMiddleware)
`bare` is bench/bare.py under uvicorn's defaults, the benchmark's baseline; `raw-default` is
`raw` under those defaults too (what no app can beat on this server).

    python -m bench.experiments.healthz_floor [rounds] [seconds] [--rungs bare guard ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from bench import load, servers
from bench.experiments import cpu_seconds, listening_child
from tests.fixtures.service import REPO, WRITER, free_port

HEALTHY = b'{"status":"ok"}'
LAYERS = ("healthz", "bodies", "date", "observer", "lifecycle")
CONNECTIONS = 32


async def raw(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"application/json"), (b"content-length", b"15")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": HEALTHY})


def ladder(top: str) -> ASGIApp:
    """The app of rung `top`: `raw` wrapped in every layer up to and including `top`."""
    from service.api import system
    from service.api.date import DateHeader
    from service.api.limits import bounded_bodies
    from service.lifecycle import Lifecycle
    from service.observability.metrics import Metrics
    from service.observability.middleware import RequestObserver

    wrap: dict[str, Callable[[ASGIApp], ASGIApp]] = {
        "healthz": system.fast_healthz,
        "bodies": lambda app: bounded_bodies(app, max_json_bytes=16384),
        "date": DateHeader,
        "observer": lambda app: RequestObserver(app, metrics=Metrics()),
        "lifecycle": Lifecycle().middleware,
    }
    app: ASGIApp = raw
    for layer in LAYERS[: LAYERS.index(top) + 1] if top in LAYERS else ():
        app = wrap[layer](app)
    return app


def serve(rung: str, port: int) -> None:
    """One rung as a server process (the service's uvicorn settings unless `raw-default`)."""
    import uvicorn

    from service.connections import Limits, guarded_protocol
    from service.settings import Settings

    app = ladder(rung.removesuffix("-default").replace("guard", "raw"))
    if rung == "raw-default":
        config = uvicorn.Config(app, port=port, access_log=False, server_header=False)
    else:
        config = uvicorn.Config(
            app,
            port=port,
            http=guarded_protocol(Limits.of(Settings(auth_enabled=False))),
            log_config=None,
            access_log=False,
            server_header=False,
            date_header=False,
        )
    uvicorn.Server(config).run()


@contextmanager
def rung_server(rung: str, work: Path) -> Iterator[str]:
    if rung == "bare":
        with servers.bare(work, work) as url:
            yield f"{url}/hello"
        return
    if rung == "service":
        with servers.service(work, {}) as svc:
            yield f"{svc.url}/healthz"
        return
    port = free_port()
    command = [sys.executable, "-m", "bench.experiments.healthz_floor", "serve", rung, str(port)]
    env = {**os.environ, "BUCKETPORT_LOG_FORMAT": "json"}
    with servers.stopping(
        subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    ) as process:
        url = f"http://127.0.0.1:{port}/healthz"
        servers.wait_http(url, process)
        yield url


async def in_process(rounds: int, requests: int = 20000) -> dict[str, float]:
    """Microseconds per /healthz of each in-process rung (median of `rounds`)."""
    from bench.bare import app as bare
    from bench.experiments.small_get import scope

    apps: dict[str, tuple[ASGIApp, str]] = {"bare": (bare, "/hello"), "raw": (raw, "/healthz")}
    apps |= {layer: (ladder(layer), "/healthz") for layer in LAYERS}

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: object) -> None:
        return None

    seen: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(rounds):
        for name, (app, path) in apps.items():
            request = scope("GET", path, {"authorization": f"Bearer {WRITER}"})
            start = time.perf_counter()
            for _ in range(requests):
                await app(dict(request), receive, send)
            seen[name].append((time.perf_counter() - start) / requests * 1e6)
    return {name: statistics.median(times) for name, times in seen.items()}


RUNGS = ("bare", "raw-default", "guard", *LAYERS, "service")


def over_sockets(rounds: int, seconds: int, rungs: list[str]) -> dict[str, tuple[float, float]]:
    """(requests per second, server CPU microseconds per request) of each rung, means over
    `rounds`, run in turns. CPU per request moves far less than the rate on a shared machine."""
    rates: dict[str, list[float]] = {rung: [] for rung in rungs}
    cpu: dict[str, list[float]] = {rung: [] for rung in rungs}
    with tempfile.TemporaryDirectory(prefix="healthz-floor-") as tmp:
        for _ in range(rounds):
            for rung in rungs:
                with rung_server(rung, Path(tmp)) as url:
                    server = listening_child(url)
                    before = cpu_seconds(server)
                    result = load.wrk(url, WRITER, connections=CONNECTIONS, seconds=seconds)
                    used = cpu_seconds(server) - before
                if result.errors:
                    raise RuntimeError(f"{rung}: {result.errors} errors")
                rates[rung].append(result.requests_per_second)
                cpu[rung].append(used / (result.requests_per_second * seconds) * 1e6)
    return {rung: (statistics.mean(rates[rung]), statistics.mean(cpu[rung])) for rung in rungs}


def main(rounds: int, seconds: int, rungs: list[str]) -> None:
    print(f"load average at start: {os.getloadavg()}")
    micro = asyncio.run(in_process(5))
    print("in-process, us per request (each rung adds one layer):")
    for name, us in micro.items():
        print(f"  {name:10} {us:6.2f}")
    rps = over_sockets(rounds, seconds, ["bare", *(r for r in rungs if r != "bare")])
    print(f"over sockets, wrk -c{CONNECTIONS}, {rounds} x {seconds} s; rate and server CPU per")
    print("request, each also as the ratio bare/rung (what healthz_vs_bare would be):")
    bare_rate, bare_cpu = rps["bare"]
    for rung, (rate, us) in rps.items():
        print(
            f"  {rung:11} {rate:8.0f} req/s {rate / bare_rate:6.3f}"
            f"   {us:6.1f} us CPU/req {bare_cpu / us:6.3f}"
        )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        parser = argparse.ArgumentParser(prog="python -m bench.experiments.healthz_floor")
        parser.add_argument("rounds", type=int, nargs="?", default=3)
        parser.add_argument("seconds", type=int, nargs="?", default=5)
        parser.add_argument("--rungs", nargs="+", choices=RUNGS, default=list(RUNGS))
        args = parser.parse_args()
        main(args.rounds, args.seconds, args.rungs)
