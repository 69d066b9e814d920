"""compose.yaml under `podman compose` (PyPI podman-compose driving deploy/container/podman):
the service comes up on the S3 and on the GCS emulator by service name, and serves objects."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.container.podman import PODMAN
from tests.fixtures.service import REPO, free_port

pytestmark = [pytest.mark.image, pytest.mark.timeout(1800)]  # image builds on vfs are slow
BUILDAH = REPO / "deploy" / "container" / "buildah"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@pytest.fixture(scope="module")
def emulators_image(base_image: str) -> str:
    """The compose file's emulator image, built as `make image` builds the service's (unless
    EMULATORS_IMAGE names one already built)."""
    if "EMULATORS_IMAGE" in os.environ:
        return os.environ["EMULATORS_IMAGE"]
    name = "localhost/bucketport-emulators:dev"
    volume = [f"--volume={CA_BUNDLE}:{CA_BUNDLE}:ro"] if CA_BUNDLE.exists() else []
    subprocess.run(
        [
            str(BUILDAH),
            *("bud", "--quiet", "--isolation", "chroot", "--layers", *volume),
            *("--build-arg", f"BASE_IMAGE={base_image}", "--tag", name),
            str(REPO / "deploy" / "compose"),
        ],
        check=True,
        timeout=900,
    )
    return name


def compose(project: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    podman_compose = Path(sys.executable).with_name("podman-compose")
    return subprocess.run(
        [
            str(podman_compose),
            *("--podman-path", str(PODMAN), "-p", project, "-f", str(REPO / "compose.yaml")),
            *args,
        ],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(params=["s3", "gcs"])
def stack(
    request: pytest.FixtureRequest, image: str, emulators_image: str
) -> Iterator[tuple[str, str]]:
    project = f"bp-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    url = {"s3": "s3://bucketport/objects", "gcs": "gs://bucketport/objects"}[request.param]
    env = {
        "IMAGE": image,
        "EMULATORS_IMAGE": emulators_image,
        "PORT": str(port),
        "BUCKETPORT_STORAGE_URL": url,
    }
    started = compose(project, env, "up", "-d")
    try:
        assert started.returncode == 0, started.stdout[-2000:] + started.stderr[-2000:]
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        status = 0
        while time.monotonic() < deadline:
            try:
                status = httpx.get(f"{base}/readyz", timeout=2).status_code
                if status == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(1)
        logs = compose(project, env, "logs")
        assert status == 200, logs.stdout[-3000:]
        yield base, request.param
    finally:
        try:
            compose(project, env, "down", "-t", "2")
        except subprocess.TimeoutExpired:  # vfs storage can be slow to remove; force it
            label = f"label=io.podman.compose.project={project}"
            names = subprocess.run(
                [str(PODMAN), "ps", "-aq", "--filter", label],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.split()
            if names:
                subprocess.run([str(PODMAN), "rm", "-f", "-t", "0", *names], check=False)


def test_the_service_serves_from_each_emulator(stack: tuple[str, str]) -> None:
    base, kind = stack
    assert httpx.get(f"{base}/version").json()["backend"] == kind
    put = httpx.put(f"{base}/v1/objects/compose/hello.txt", content=b"hi from compose")
    assert put.status_code == 201, put.text
    assert httpx.get(f"{base}/v1/objects/compose/hello.txt").content == b"hi from compose"
    listed = httpx.get(f"{base}/v1/objects", params={"prefix": "compose/"}).json()
    assert [item["key"] for item in listed["items"]] == ["compose/hello.txt"]
