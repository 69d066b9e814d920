"""The processes a benchmark runs: the service, its baselines and the store emulators."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from tests.fixtures.emulators import Emulator
from tests.fixtures.service import REPO, LiveServer, free_port, start_server

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
    }}
}}
"""


NO_SHUTDOWN_DELAY = {"BUCKETPORT_SHUTDOWN_DELAY_SECONDS": "0"}
"""A benchmark stops each server only after measuring it: the 5 s of unready serving after
SIGTERM (for a load balancer to notice) would only add dead time, 11 times per run."""


def wait_http(url: str, process: subprocess.Popen[bytes], wait: float = 20) -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer in {wait}s")


@contextmanager
def stopping(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def service(work: Path, env: dict[str, str]) -> Iterator[LiveServer]:
    """`python -m service serve` with auth, JSON access logs and metrics on, as deployed."""
    server = start_server(work, NO_SHUTDOWN_DELAY | env)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def bare(work: Path, root: Path) -> Iterator[str]:
    """The bare Starlette app under the uvicorn settings service/server.py uses."""
    port = free_port()
    command = [
        sys.executable,
        *("-m", "uvicorn", "bench.bare:app", "--host", "127.0.0.1", "--port", str(port)),
        *("--no-access-log", "--no-server-header", "--log-level", "warning"),
    ]
    log = (work / "bare.log").open("ab")
    env = {**os.environ, "BENCH_BARE_ROOT": str(root)}
    with log, stopping(subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)) as p:
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/files/-", p)
        yield url


@contextmanager
def nginx(work: Path, root: Path) -> Iterator[str]:
    """nginx serving `root` with sendfile, from a config in `work` (never the system one)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(work=work, port=port, root=root))
    command = [binary, "-c", str(conf), "-p", str(work), "-e", str(work / "nginx-error.log")]
    with stopping(subprocess.Popen(command, stderr=subprocess.DEVNULL)) as process:
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/", process)
        yield url


@contextmanager
def emulator(kind: str, work: Path, bucket: str) -> Iterator[Emulator]:
    store = Emulator(kind, work).start()
    try:
        store.create_bucket(bucket)
        yield store
    finally:
        store.kill()


class PeakRss:
    """Samples a process's resident set every few milliseconds in a thread; `peak` in bytes."""

    def __init__(self, pid: int, every: float = 0.005) -> None:
        self._process = psutil.Process(pid)
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.peak = 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self._process.memory_info().rss)
            except psutil.Error:
                return
            self._stop.wait(self._every)

    def __enter__(self) -> PeakRss:
        self.peak = self._process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
