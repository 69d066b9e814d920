"""A thin driver for deploy/container/podman (vfs storage, the repo's containers.conf)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.service import free_port

PODMAN = Path(__file__).resolve().parents[2] / "deploy" / "container" / "podman"

# Kubernetes' restricted profile, as the chart sets it: any uid but root, no capabilities,
# nothing writable but an emptyDir on /tmp.
HARDENED = (
    "--read-only",
    "--read-only-tmpfs=false",
    "--tmpfs=/tmp:rw,size=256m,mode=1777",
    "--user=10001:10001",
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
)


def podman(*args: str, env: Mapping[str, str] | None = None, timeout: float = 120) -> str:
    result = subprocess.run(
        [str(PODMAN), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result.stdout


def inspect_image(image: str) -> dict[str, Any]:
    info: list[dict[str, Any]] = json.loads(podman("image", "inspect", image))
    return info[0]


@dataclass
class Container:
    name: str
    url: str

    def state(self) -> dict[str, Any]:
        info: list[dict[str, Any]] = json.loads(podman("container", "inspect", self.name))
        state: dict[str, Any] = info[0]["State"]
        return state

    def finished_at(self) -> float:
        """When the container's process ended (epoch seconds), as podman recorded it: unlike the
        time `podman stop` takes, this leaves out podman's own clean-up."""
        stamp = self.state()["FinishedAt"]  # RFC 3339 with nanoseconds
        head, _, fraction = stamp.rstrip("Z").partition(".")
        return datetime.fromisoformat(f"{head}+00:00").timestamp() + float(f"0.{fraction or 0}")

    def logs(self) -> str:
        """stdout and stderr of the container, interleaved."""
        return subprocess.run(
            [str(PODMAN), "logs", self.name],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=60,
            check=False,
        ).stdout

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.state()["Running"]:
                raise RuntimeError(f"container exited early:\n{self.logs()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"no answer on {self.url}/healthz in {timeout}s:\n{self.logs()}")

    def remove(self) -> None:
        podman("rm", "--force", "--time=0", self.name)


def run_service(image: str, env: Mapping[str, str]) -> Container:
    """Start the image hardened, on the host network (no bridge networking in sandboxes), serving
    on a free loopback port. Environment values travel by name (`--env NAME`) so that tokens
    never appear in a command line."""
    port = free_port()
    name = f"bucketport-test-{uuid.uuid4().hex[:10]}"
    env_args = [f"--env={key}" for key in env]
    podman(
        "run", "--detach", f"--name={name}", "--network=host", *HARDENED, *env_args, image,
        "serve", "--host", "127.0.0.1", "--port", str(port),
        env=env,
    )  # fmt: skip
    container = Container(name, f"http://127.0.0.1:{port}")
    try:
        container.wait_healthy()
    except Exception:
        container.remove()
        raise
    return container
