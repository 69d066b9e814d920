"""The chart on a real cluster: install, `helm test`, a rollout on a settings change.

Runs in the GitHub Actions kind job (deploy/kind/e2e.sh with IMAGE loaded into kind). Skips, with
the reason, where kubectl reaches no cluster: there is no Kubernetes API server on a dev machine.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from typing import Any

import pytest

from tests.chart.helm import ROOT, helm_path

pytestmark = pytest.mark.cluster

RELEASE = os.environ.get("BUCKETPORT_E2E_RELEASE", "bucketport")
NAMESPACE = os.environ.get("BUCKETPORT_E2E_NAMESPACE", "bucketport")
E2E = ROOT / "deploy" / "kind" / "e2e.sh"


def _kubectl_path() -> str | None:
    return shutil.which("kubectl") or (
        str(ROOT / ".tools/kubectl/kubectl") if (ROOT / ".tools/kubectl/kubectl").exists() else None
    )


def _cluster_reachable() -> bool:
    kubectl = _kubectl_path()
    if kubectl is None:
        return False
    probe = [kubectl, "get", "--raw=/readyz", "--request-timeout=5s"]
    return subprocess.run(probe, check=False, capture_output=True).returncode == 0


if not _cluster_reachable():
    pytest.skip(
        "no Kubernetes API server reachable (runs in the GitHub Actions kind job)",
        allow_module_level=True,
    )


def kubectl_json(*args: str) -> Any:
    kubectl = _kubectl_path()
    assert kubectl is not None
    out = subprocess.run(
        [kubectl, "-n", NAMESPACE, *args, "-o", "json"], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def installed() -> None:
    """deploy/kind/e2e.sh: install with values-kind.yaml under restricted PSS, then `helm test`."""
    env = os.environ | {"RELEASE": RELEASE, "NAMESPACE": NAMESPACE}
    result = subprocess.run(
        [E2E], check=False, capture_output=True, text=True, timeout=900, env=env
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.mark.usefixtures("installed")
def test_release_is_ready_under_restricted_pod_security() -> None:
    namespace = kubectl_json("get", "namespace", NAMESPACE)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    pods = kubectl_json("get", "pods", "-l", f"app.kubernetes.io/instance={RELEASE}")["items"]
    servers = [
        p for p in pods if p["metadata"]["labels"]["app.kubernetes.io/component"] == "server"
    ]
    assert servers
    for pod in servers:
        ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
        assert ready["Ready"] == "True"
        assert all(s["restartCount"] == 0 for s in pod["status"]["containerStatuses"])


def _upgrade(*args: str) -> None:
    subprocess.run(
        [
            helm_path(), "upgrade", RELEASE, str(ROOT / "helm" / "bucketport"),
            "--namespace", NAMESPACE, "--reuse-values", *args, "--wait", "--timeout", "5m",
        ],
        check=True,
    )  # fmt: skip


def _deployment_name() -> str:
    return f"{RELEASE}-bucketport" if "bucketport" not in RELEASE else RELEASE


@pytest.mark.usefixtures("installed")
def test_a_settings_change_rolls_the_pods_and_keeps_the_tokens() -> None:
    deployment = _deployment_name()
    before = kubectl_json("get", "deployment", deployment)["spec"]["template"]["metadata"]
    secret_before = kubectl_json("get", "secret", deployment)["data"]
    _upgrade("--set", "config.logLevel=WARNING")
    after = kubectl_json("get", "deployment", deployment)
    annotations = after["spec"]["template"]["metadata"]["annotations"]
    assert annotations["checksum/config"] != before["annotations"]["checksum/config"]
    assert annotations["checksum/secret"] == before["annotations"]["checksum/secret"]
    assert kubectl_json("get", "secret", deployment)["data"] == secret_before
    assert after["status"]["updatedReplicas"] == after["status"]["readyReplicas"]


@pytest.mark.usefixtures("installed")
def test_token_rotation_rolls_the_pods_and_helm_test_passes_with_the_new_token() -> None:
    deployment = _deployment_name()
    before = kubectl_json("get", "deployment", deployment)["spec"]["template"]["metadata"]
    token = os.urandom(24).hex()
    rotated = [{"name": "rotated", "token": token, "scopes": ["read", "write"]}]
    _upgrade(f"--set-json=auth.tokens={json.dumps(rotated)}")
    after = kubectl_json("get", "deployment", deployment)
    annotations = after["spec"]["template"]["metadata"]["annotations"]
    assert annotations["checksum/secret"] != before["annotations"]["checksum/secret"]
    assert after["status"]["updatedReplicas"] == after["status"]["readyReplicas"]
    secret = kubectl_json("get", "secret", deployment)["data"]
    assert json.loads(base64.b64decode(secret["tokens.json"])) == rotated, "the old token is gone"
    subprocess.run(
        [helm_path(), "test", RELEASE, "--namespace", NAMESPACE, "--timeout", "5m"], check=True
    )
