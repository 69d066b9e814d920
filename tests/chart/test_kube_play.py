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
from dataclasses import dataclass
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
    result = subprocess.run([PODMAN, *args], check=False, capture_output=True, text=True)
    if check and result.returncode != 0:
        pytest.fail(f"podman {' '.join(args)}: {result.stderr[-3000:]}")
    return result


def for_podman(objects: list[Manifest], secret_dir: Path) -> list[Manifest]:
    """The ConfigMap and Deployment as podman plays them on the host network.

    No container ports there, so probes name the port number. podman's handling of Kubernetes
    Secrets changes between versions (4.3 neither decodes `data` nor reads `stringData`), so the
    Secret's files are written to secret_dir and mounted from there, and the one variable taken
    from it is given its value inline.
    """
    secret = find(objects, "Secret")
    plain = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}
    for key, value in plain.items():
        (secret_dir / key).write_text(value)
        (secret_dir / key).chmod(0o444)
    kept = [obj for obj in objects if obj["kind"] in {"ConfigMap", "Deployment"}]
    pod = find(kept, "Deployment")["spec"]["template"]["spec"]
    for volume in pod["volumes"]:
        if "secret" in volume:
            assert volume.pop("secret")["secretName"] == secret["metadata"]["name"]
            volume["hostPath"] = {"path": str(secret_dir), "type": "Directory"}
    for container in pod["containers"]:
        container.pop("ports", None)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            container[probe]["httpGet"]["port"] = PORT
        for env in container.get("env", []):
            ref = env.pop("valueFrom")["secretKeyRef"]
            assert ref["name"] == secret["metadata"]["name"]
            env["value"] = plain[ref["key"]]
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


@dataclass
class Played:
    objects: list[Manifest]  # as rendered
    container: str  # name of the server container
    secret_dir: Path  # the Secret's files


@pytest.fixture(scope="module")
def played(render: Render, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    if podman("image", "exists", IMAGE, check=False).returncode != 0:
        pytest.fail(f"image {IMAGE} is missing: run `make image` first")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", PORT)) == 0:
            pytest.fail(f"port {PORT} is taken; stop what listens there")
    repository, tag = IMAGE.rsplit(":", 1)
    tmp_path = tmp_path_factory.mktemp("play")
    secret_dir = tmp_path / "secret"
    secret_dir.mkdir()
    secret_dir.chmod(0o755)
    objects = render(
        [DEPLOY / "values-kind.yaml"], {"image.repository": repository, "image.tag": tag}
    )
    manifest = tmp_path / "play.yaml"
    manifest.write_text(yaml.safe_dump_all(for_podman(objects, secret_dir)))
    out = podman("kube", "play", "--network", "host", str(manifest)).stdout.split()
    pod = out[out.index("Pod:") + 1]
    names = podman("ps", "--all", f"--filter=pod={pod}", "--format={{.Names}}").stdout.split()
    container = next(name for name in names if name.endswith("-server"))
    try:
        wait_ready(time.monotonic() + 90)
        yield Played(objects, container, secret_dir)
    finally:
        logs = podman("logs", container, check=False)
        print(logs.stdout[-4000:], logs.stderr[-4000:])
        podman("pod", "rm", "--force", "--time=5", pod, check=False)


def test_helm_test_command_passes_against_the_played_pod(played: Played) -> None:
    """The helm test Pod's own command, its URL pointed at the played pod."""
    smoke = find(played.objects, "Pod")["spec"]["containers"][0]
    command = [BASE if arg.startswith("http://") else arg for arg in smoke["command"]]
    mount = next(m["mountPath"] for m in smoke["volumeMounts"] if m["name"] == "secret")
    result = podman(
        "run", "--rm", "--network", "host", "--read-only", "--user", "10001:10001",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--volume", f"{played.secret_dir}:{mount}:ro",
        "--entrypoint", command[0], IMAGE, *command[1:],
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke passed" in result.stdout
    # and the API refuses a request without the generated token
    assert httpx.get(f"{BASE}/v1/objects", timeout=5).status_code == 401


def test_pod_runs_as_the_charts_user_on_a_read_only_root(played: Played) -> None:
    container = played.container
    ids = podman("exec", container, "python", "-c", "import os; print(os.getuid(), os.getgid())")
    assert ids.stdout.split() == ["10001", "10001"]
    root = podman("exec", container, "python", "-c", "open('/probe', 'w')", check=False)
    assert root.returncode != 0
    assert "Read-only file system" in root.stderr
    podman("exec", container, "python", "-c", "open('/tmp/probe', 'w').write('ok')")
    status = podman("exec", container, "grep", "-E", "^(CapEff|NoNewPrivs)", "/proc/self/status")
    assert "CapEff:\t0000000000000000" in status.stdout
    assert "NoNewPrivs:\t1" in status.stdout
