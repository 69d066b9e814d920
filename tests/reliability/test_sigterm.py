"""SIGTERM while 20 downloads are in flight: readiness turns 503, every download completes
byte-exact, and the process exits 0."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.fixtures.service import AUTH_W, start_server

pytestmark = pytest.mark.drill

DOWNLOADS = 20
SIZE = 8 * 1024 * 1024
READ = 64 * 1024
PAUSE = 0.025  # ~2.5 MiB/s per download: each lasts about three seconds


def test_sigterm_drains_twenty_downloads_then_exits_zero(tmp_path: Path) -> None:
    server = start_server(tmp_path, {"BUCKETPORT_DRAIN_SECONDS": "60"})
    try:
        body = os.urandom(SIZE)
        url = f"{server.url}/v1/objects/drain.bin"
        assert httpx.put(url, content=body, headers=AUTH_W).status_code == 201
        started = threading.Barrier(DOWNLOADS + 1)

        def download(_: int) -> str:
            digest = hashlib.sha256()
            with httpx.stream("GET", url, headers=AUTH_W, timeout=60) as response:
                assert response.status_code == 200
                chunks = response.iter_bytes(READ)
                digest.update(next(chunks))
                started.wait()
                for chunk in chunks:
                    digest.update(chunk)
                    time.sleep(PAUSE)
            return digest.hexdigest()

        with ThreadPoolExecutor(DOWNLOADS) as pool:
            results = pool.map(download, range(DOWNLOADS))
            started.wait(timeout=30)
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            ready = httpx.get(f"{server.url}/readyz", timeout=5)
            assert ready.status_code == 503
            assert ready.json()["code"] == "draining"
            digests = list(results)
        assert digests == [hashlib.sha256(body).hexdigest()] * DOWNLOADS
        assert server.process.wait(30) == 0
    finally:
        server.stop()
    assert "draining" in server.output()
