"""The chart's pod under podman kube play: the image really runs with the chart's security context.

`make chart-play` runs this (it needs the image from `make image`; IMAGE overrides the tag).
Host networking: kube play refuses `ports:` there, so the rendered copy drops them and probes
use the port number.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.chart.helm import DEPLOY, ROOT, Manifest, Render, find

pytestmark = pytest.mark.image

IMAGE = os.environ.get("IMAGE", "localhost/bucketport:dev")
PODMAN = str(ROOT / "deploy" / "container" / "podman")
PORT = 8000  # the image's entrypoint listens here
BASE = f"http://127.0.0.1:{PORT}"


def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PODMAN, *args], check=check, capture_output=True, text=True)


def for_host_network(objects: list[Manifest]) -> list[Manifest]:
    """The ConfigMap, Secret and Deployment, with container ports dropped and probes on 8000."""
    kept = [obj for obj in objects if obj["kind"] in {"ConfigMap", "Secret", "Deployment"}]
    for container in find(kept, "Deployment")["spec"]["template"]["spec"]["containers"]:
        container.pop("ports", None)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            container[probe]["httpGet"]["port"] = PORT
    return kept


def wait_ready(deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{BASE}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{BASE}/readyz never answered 200")


@pytest.fixture
def played(render: Render, tmp_path: Path) -> Iterator[list[Manifest]]:
    if podman("image", "exists", IMAGE, check=False).returncode != 0:
        pytest.fail(f"image {IMAGE} is missing: run `make image` first")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", PORT)) == 0:
            pytest.fail(f"port {PORT} is taken; stop what listens there")
    repository, tag = IMAGE.rsplit(":", 1)
    objects = for_host_network(
        render([DEPLOY / "values-kind.yaml"], {"image.repository": repository, "image.tag": tag})
    )
    manifest = tmp_path / "play.yaml"
    manifest.write_text(yaml.safe_dump_all(objects))
    podman("kube", "play", "--network", "host", str(manifest))
    try:
        wait_ready(time.monotonic() + 90)
        yield objects
    finally:
        logs = podman(
            "pod", "logs", f"{find(objects, 'Deployment')['metadata']['name']}-pod", check=False
        )
        podman("kube", "down", str(manifest), check=False)
        print(logs.stdout[-4000:], logs.stderr[-4000:])


def test_smoke_round_trip_through_the_played_pod(played: list[Manifest], tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_bytes(base64.b64decode(find(played, "Secret")["data"]["tokens.json"]))
    tokens.chmod(0o444)
    # the image's own smoke command, as the helm test Pod runs it
    result = podman(
        "run", "--rm", "--network", "host", "--read-only", "--user", "10001:10001",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--volume", f"{tokens}:/run/bucketport/tokens.json:ro",
        IMAGE, "python", "-m", "service", "smoke", BASE,
        "--token-file", "/run/bucketport/tokens.json",
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke passed" in result.stdout
    # and the API refuses a request without the generated token
    assert httpx.get(f"{BASE}/v1/objects", timeout=5).status_code == 401


def test_pod_runs_as_the_charts_user_on_a_read_only_root(played: list[Manifest]) -> None:
    container = f"{find(played, 'Deployment')['metadata']['name']}-pod-server"
    ids = podman("exec", container, "python", "-c", "import os; print(os.getuid(), os.getgid())")
    assert ids.stdout.split() == ["10001", "10001"]
    root = podman("exec", container, "python", "-c", "open('/probe', 'w')", check=False)
    assert root.returncode != 0
    assert "Read-only file system" in root.stderr
    podman("exec", container, "python", "-c", "open('/tmp/probe', 'w').write('ok')")
    status = podman("exec", container, "grep", "-E", "^(CapEff|NoNewPrivs)", "/proc/self/status")
    assert "CapEff:\t0000000000000000" in status.stdout
    assert "NoNewPrivs:\t1" in status.stdout
