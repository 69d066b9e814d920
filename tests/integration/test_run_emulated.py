"""`make run-s3` / `make run-gcs`: the service comes up on an emulator, serves objects and
presigned URLs, and the emulator goes away with it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.service import REPO, free_port


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"not ready in 60 s:\n{log.read_text()}")


@pytest.mark.parametrize("backend", ["s3", "gcs"])
def test_run_against_an_emulator(backend: str, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "deploy/local/run_emulated.py", backend, "--port", str(port)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        put = httpx.put(f"{url}/v1/objects/hello.txt", content=b"hi", timeout=10)
        assert put.status_code == 201, put.text
        assert httpx.get(f"{url}/v1/objects/hello.txt").content == b"hi"
        assert httpx.get(f"{url}/version").json()["backend"] == backend
        # signed URLs work against the emulator, through the service (GCS: a throwaway key)
        signed_put = httpx.post(
            f"{url}/v1/presign", json={"key": "signed.txt", "method": "PUT"}, timeout=10
        )
        assert signed_put.status_code == 200, signed_put.text
        upload = httpx.put(signed_put.json()["url"], content=b"via a signed URL", timeout=10)
        assert upload.is_success, upload.text
        signed_get = httpx.post(
            f"{url}/v1/presign", json={"key": "signed.txt", "method": "GET"}, timeout=10
        ).json()
        assert httpx.get(signed_get["url"], timeout=10).content == b"via a signed URL"
        assert httpx.get(f"{url}/v1/objects/signed.txt").content == b"via a signed URL"
        emulator = re.search(r"on (http://127\.0\.0\.1:\d+), bucket", log.read_text())
        assert emulator, log.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text()
    with pytest.raises(httpx.TransportError):  # the emulator stopped with the service
        httpx.get(emulator.group(1), timeout=2)
