"""The built image serves the API hardened (read-only root, uid 10001, no capabilities, tmpfs
/tmp) against each backend, and drains and exits 0 on SIGTERM."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from tests.container.conftest import BUCKET, MOTO_ENV, s3_client
from tests.container.podman import HARDENED, Container, podman

pytestmark = pytest.mark.image

Start = Callable[[Mapping[str, str]], Container]
LOCAL = {"BUCKETPORT_STORAGE_URL": "file:///tmp/data"}
DRAIN_SECONDS = 5  # BUCKETPORT_DRAIN_SECONDS in conftest
SHUTDOWN_DELAY_SECONDS = 1  # BUCKETPORT_SHUTDOWN_DELAY_SECONDS in conftest (503, still serving)
STOP_SECONDS = SHUTDOWN_DELAY_SECONDS + DRAIN_SECONDS  # SIGTERM to exit, at most


def round_trip(container: Container, token: str, key: str) -> bytes:
    """PUT (checksum verified), GET (same bytes), and return the body; the object stays."""
    body = os.urandom(3 * 1024 * 1024 + 17)  # several 1 MiB chunks and a ragged end
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=container.url, headers=auth, timeout=30) as client:
        put = client.put(
            f"/v1/objects/{key}",
            content=body,
            headers={
                "Content-Type": "application/octet-stream",
                "x-checksum-sha256": base64.b64encode(hashlib.sha256(body).digest()).decode(),
            },
        )
        assert put.status_code == 201, f"{put.text}\n{container.logs()[-4000:]}"
        got = client.get(f"/v1/objects/{key}")
        assert got.status_code == 200, f"{got.text}\n{container.logs()[-4000:]}"
        assert got.content == body
        assert got.headers["etag"] == put.headers["etag"]
    return body


def delete(container: Container, token: str, key: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=container.url, headers=auth, timeout=30) as client:
        assert client.delete(f"/v1/objects/{key}").status_code == 204
        assert client.get(f"/v1/objects/{key}").status_code == 404


@pytest.fixture
def local(start: Start) -> Container:
    return start(LOCAL)


def test_health_and_readiness(local: Container) -> None:
    assert httpx.get(f"{local.url}/healthz").json()["status"] == "ok"
    assert httpx.get(f"{local.url}/readyz").status_code == 200


def test_auth_is_on(local: Container) -> None:
    assert httpx.get(f"{local.url}/v1/objects/any").status_code == 401


def test_round_trip_on_local_disk(local: Container, token: str) -> None:
    round_trip(local, token, "image/local/object.bin")
    delete(local, token, "image/local/object.bin")


def test_round_trip_on_s3(start: Start, token: str, moto_endpoint: str) -> None:
    container = start(
        {
            "BUCKETPORT_STORAGE_URL": f"s3://{BUCKET}/image",
            "BUCKETPORT_S3_ENDPOINT_URL": moto_endpoint,
            "BUCKETPORT_S3_REGION": "us-east-1",
            "BUCKETPORT_S3_ADDRESSING_STYLE": "path",
            **MOTO_ENV,
        }
    )
    assert httpx.get(f"{container.url}/readyz").status_code == 200
    body = round_trip(container, token, "s3/object.bin")
    stored = s3_client(moto_endpoint).get_object(Bucket=BUCKET, Key="image/s3/object.bin")
    assert stored["Body"].read() == body
    delete(container, token, "s3/object.bin")


def test_round_trip_on_gcs(start: Start, token: str, gcs_endpoint: str) -> None:
    container = start(
        {
            "BUCKETPORT_STORAGE_URL": f"gs://{BUCKET}/image",
            "BUCKETPORT_GCS_PROJECT": "test",
            "STORAGE_EMULATOR_HOST": gcs_endpoint,
        }
    )
    assert httpx.get(f"{container.url}/readyz").status_code == 200
    body = round_trip(container, token, "gcs/object.bin")
    client = gcs.Client(project="test", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    assert client.bucket(BUCKET).blob("image/gcs/object.bin").download_as_bytes() == body
    delete(container, token, "gcs/object.bin")


def test_sigterm_drains_in_flight_upload_then_exits_0(local: Container, token: str) -> None:
    """SIGTERM reaches Python (exec-form entrypoint, PID 1): readiness turns 503 at once, the
    upload in flight still completes, then the process exits 0 well within the drain time."""
    started = threading.Event()
    release = threading.Event()
    result: dict[str, int] = {}

    def body() -> Iterator[bytes]:
        yield b"x" * 65536
        started.set()
        release.wait(10)
        yield b"y" * 65536

    def upload() -> None:
        result["status"] = httpx.put(
            f"{local.url}/v1/objects/drain.bin",
            content=body(),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).status_code

    uploader = threading.Thread(target=upload)
    uploader.start()
    assert started.wait(10)
    podman("kill", "--signal=TERM", local.name)
    deadline = time.monotonic() + 5
    while httpx.get(f"{local.url}/readyz").status_code != 503:
        assert time.monotonic() < deadline, "readiness never turned 503 after SIGTERM"
        time.sleep(0.1)
    assert local.state()["Running"], "exited with a request still in flight"
    release.set()
    released = time.time()
    uploader.join(15)
    assert result.get("status") == 201

    podman("wait", local.name, timeout=30)
    assert local.state()["ExitCode"] == 0, local.logs()
    assert local.finished_at() - released < STOP_SECONDS, local.logs()


def test_podman_stop_exits_0_within_the_drain_time(local: Container) -> None:
    """podman itself may take seconds to deliver the signal on a busy machine (vfs storage
    locks), so the drain is timed from the last moment the service still answered ready."""
    with ThreadPoolExecutor(1) as pool:
        # SIGKILL (exit 137) only after 30 s
        stopped = pool.submit(podman, "stop", "--time=30", local.name, timeout=60)
        last_ready = time.time()
        while not stopped.done():
            asked = time.time()
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{local.url}/readyz", timeout=1).status_code == 200:
                    last_ready = asked  # SIGTERM came after this
            time.sleep(0.05)
        stopped.result()
    assert local.state()["ExitCode"] == 0, local.logs()
    assert local.finished_at() - last_ready < STOP_SECONDS, local.logs()


def test_smoke_command_in_the_image(
    local: Container, image: str, token: str, tmp_path: Path
) -> None:
    """`python -m service smoke` (what the chart's helm test runs) works from the image itself,
    hardened, with its token from a read-only mounted file as a Secret would give it."""
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps([{"token": token, "scopes": ["read", "write"]}]))
    tokens.chmod(0o644)  # the container user is uid 10001
    out = podman(
        "run", "--rm", "--network=host", *HARDENED,
        f"--volume={tokens}:/run/secrets/bucketport/tokens.json:ro",
        image, "smoke", local.url, "--token-file", "/run/secrets/bucketport/tokens.json",
    )  # fmt: skip
    assert out.startswith("smoke passed"), out
