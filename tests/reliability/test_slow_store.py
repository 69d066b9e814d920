"""A store that stops answering (a delaying proxy in front of the emulator): requests fail
with 503/504 problem+json at the configured timeout, and health checks keep answering while
every storage thread is stuck."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.fixtures.emulators import Emulator, service_env
from tests.fixtures.service import AUTH_W, LiveServer, start_server
from tests.reliability.delay_proxy import DelayProxy
from tests.reliability.probes import health_watch, wait_ready

pytestmark = pytest.mark.drill

BUCKET = "drill-slow"
TIMEOUT = 1.5  # BUCKETPORT_STORAGE_TIMEOUT_SECONDS
THREADS = 4
CONCURRENT = 3 * THREADS  # more requests than storage threads
# A request that waits for a thread behind the others: three rounds of two tries, with backoff.
ONE = 2 * TIMEOUT + 1.5
WORST = 3 * ONE + 3


@pytest.fixture(params=["s3", "gcs"])
def slow_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[LiveServer, DelayProxy]]:
    store = Emulator(request.param, tmp_path).start()
    store.create_bucket(BUCKET)
    with DelayProxy(store.port) as proxy:
        env = {
            **service_env(request.param, proxy.url, BUCKET),
            "BUCKETPORT_STORAGE_TIMEOUT_SECONDS": str(TIMEOUT),
            "BUCKETPORT_STORAGE_THREADS": str(THREADS),
            "BUCKETPORT_S3_MAX_ATTEMPTS": "2",
            "BUCKETPORT_READINESS_CACHE_SECONDS": "0",
        }
        server = start_server(tmp_path, env)
        try:
            yield server, proxy
        finally:
            server.stop()
            store.kill()


def timed(method: str, url: str, **kwargs: object) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    response = httpx.request(method, url, headers=AUTH_W, timeout=60, **kwargs)  # type: ignore[arg-type]
    return response, time.monotonic() - start


def test_slow_store_gives_timeouts_as_problems_and_health_keeps_answering(
    slow_store: tuple[LiveServer, DelayProxy],
) -> None:
    server, proxy = slow_store
    objects = f"{server.url}/v1/objects"
    assert httpx.put(f"{objects}/there", content=b"x" * 1000, headers=AUTH_W).status_code == 201
    proxy.delay = 3600.0  # the store accepts connections and requests, and never answers

    for method, path, body in [
        ("GET", "/there", None),
        ("HEAD", "/there", None),
        ("PUT", "/new", b"y" * 1000),
        ("DELETE", "/gone", None),  # the store still does what it is asked, late
        ("GET", "?prefix=", None),
    ]:
        response, seconds = timed(method, objects + path, content=body)
        assert response.status_code in (503, 504), (method, path, response.text)
        if method != "HEAD":
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == response.status_code
        assert TIMEOUT * 0.9 <= seconds <= ONE + 1, (method, path, seconds)

    with health_watch(server.url, every=0.02) as health, ThreadPoolExecutor(CONCURRENT) as pool:
        results = list(pool.map(lambda _: timed("GET", f"{objects}/there"), range(CONCURRENT)))
    assert {response.status_code for response, _ in results} <= {503, 504}
    assert max(seconds for _, seconds in results) <= WORST, sorted(s for _, s in results)
    assert len(health) > 20
    assert all(status == 200 for status, _ in health)
    assert max(seconds for _, seconds in health) < 0.5, sorted(s for _, s in health)[-5:]
    wait_ready(server.url, 503, within=2 * TIMEOUT + 3)

    proxy.delay = 0.0
    wait_ready(server.url, 200, within=2 * TIMEOUT + 5)
    assert httpx.get(f"{objects}/there", headers=AUTH_W).content == b"x" * 1000
