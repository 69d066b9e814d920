"""The store process dies mid-download and mid-upload (SIGKILL), then comes back.

The client sees an error or a truncated body, never wrong bytes; a broken upload leaves no
object; /healthz answers throughout; /readyz turns 503 and recovers with no restart.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.emulators import Emulator
from tests.fixtures.service import AUTH_W, start_server
from tests.reliability.probes import health_watch, wait_ready

pytestmark = pytest.mark.drill

MIB = 1024 * 1024
SIZE = 48 * MIB  # far more than the socket buffers between store, service and client
BUCKET = "drill-dies"
UPLOAD_GIVES_UP = 15  # seconds: 3 s storage timeout, two attempts, and slack
ENV = {
    "BUCKETPORT_READINESS_CACHE_SECONDS": "0.2",
    "BUCKETPORT_STORAGE_TIMEOUT_SECONDS": "3",
    "BUCKETPORT_S3_MAX_ATTEMPTS": "2",
    "BUCKETPORT_MAX_UPLOAD_BYTES": str(2 * SIZE),
}


def revive(store: Emulator) -> None:
    store.start()
    store.create_bucket(BUCKET)  # moto comes back empty; fake-gcs kept its files


def read_until_store_dies(url: str, store: Emulator) -> bytes:
    """GET `url`, kill the store after the first MiB, return whatever bytes arrived."""
    received = bytearray()
    try:
        with httpx.stream("GET", url, headers=AUTH_W, timeout=30) as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes(MIB):
                received += chunk
                if store.process is not None and len(received) >= MIB:
                    store.kill()
    except httpx.HTTPError:
        pass  # an error is a correct outcome; the bytes before it are checked
    return bytes(received)


def body_killing_store(store: Emulator, after: int) -> Iterator[bytes]:
    for n in range(SIZE // MIB):
        if n == after:
            store.kill()
        yield os.urandom(MIB)


@pytest.mark.parametrize("kind", ["s3", "gcs"])
def test_store_dies_mid_transfer_and_the_service_recovers(kind: str, tmp_path: Path) -> None:
    store = Emulator(kind, tmp_path)
    revive(store)
    server = start_server(tmp_path, {**ENV, **store.service_env(BUCKET)})
    body = os.urandom(SIZE)
    url = f"{server.url}/v1/objects/big.bin"
    try:
        with health_watch(server.url) as health:
            assert httpx.put(url, content=body, headers=AUTH_W, timeout=60).status_code == 201

            received = read_until_store_dies(url, store)
            assert len(received) < SIZE, "the store died after the whole body was sent"
            assert received == body[: len(received)], "bytes differ from the object"
            wait_ready(server.url, 503)

            revive(store)
            wait_ready(server.url, 200)
            broken = f"{server.url}/v1/objects/broken-upload.bin"
            start = time.monotonic()
            try:
                status = httpx.put(
                    broken, content=body_killing_store(store, 8), headers=AUTH_W, timeout=60
                ).status_code
            except httpx.HTTPError:
                status = None  # the service may answer and hang up before the body is sent
            assert status in (None, 502, 503, 504)
            # An answer within the storage timeout (and its retries), not a hung request.
            assert time.monotonic() - start < UPLOAD_GIVES_UP
            wait_ready(server.url, 503)

            revive(store)
            wait_ready(server.url, 200)
            assert httpx.get(broken, headers=AUTH_W, timeout=30).status_code == 404
            again = httpx.put(url, content=body, headers=AUTH_W, timeout=60)
            assert again.status_code in (200, 201)
            assert httpx.get(url, headers=AUTH_W, timeout=60).content == body
        assert health, "no health probe ran"
        assert all(status == 200 and seconds < 1 for status, seconds in health), [
            h for h in health if h[0] != 200 or h[1] >= 1
        ][:5]
    finally:
        server.stop()
        store.kill()
