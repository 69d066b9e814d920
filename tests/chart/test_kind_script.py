"""deploy/kind/e2e.sh with recording stand-ins for helm and kubectl (the real run is in CI)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from tests.chart.helm import ROOT

STUB = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$CALLS"
if [[ "$*" == *"-o yaml"* ]]; then echo "kind: Namespace"; fi
if [[ "$*" == *"-f -"* ]]; then cat >/dev/null; fi
for arg in "$@"; do
  if [[ -f "$arg" && "$arg" != *.yaml ]]; then cat "$arg" >> "$CALLS.files"; fi
done
if [[ -n "${FAIL_ON:-}" && "$*" == *"$FAIL_ON"* ]]; then exit 1; fi
"""


def run_e2e(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("helm", "kubectl"):
        (bin_dir / tool).write_text(STUB)
        (bin_dir / tool).chmod(0o755)
    calls = tmp_path / "calls"
    calls.write_text("")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("IMAGE", "RELEASE"))}
    result = subprocess.run(
        [ROOT / "deploy" / "kind" / "e2e.sh"],
        check=False,
        capture_output=True,
        text=True,
        env=base | {"PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(calls)} | env,
    )
    return result, calls.read_text().splitlines()


def test_installs_under_restricted_pod_security_then_runs_helm_test(tmp_path: Path) -> None:
    result, calls = run_e2e(tmp_path, IMAGE_REPOSITORY="localhost/bucketport", IMAGE_TAG="ci")
    assert result.returncode == 0, result.stderr
    label = next(call for call in calls if call.startswith("kubectl label namespace bucketport"))
    assert "pod-security.kubernetes.io/enforce=restricted" in label
    upgrade = next(call for call in calls if call.startswith("helm upgrade --install bucketport"))
    assert f"--values {ROOT}/deploy/values-kind.yaml" in upgrade
    assert "--set image.repository=localhost/bucketport --set image.tag=ci" in upgrade
    assert "--wait" in upgrade
    # a random token through a values file, so it shows in no process list
    values = yaml.safe_load((tmp_path / "calls.files").read_text())
    token = values["auth"]["tokens"][0]
    assert len(token["token"]) >= 32
    assert token["token"] not in " ".join(calls)
    assert set(token["scopes"]) == {"read", "write"}
    assert calls[-1].startswith("helm test bucketport --namespace bucketport")
    assert calls.index(label) < calls.index(upgrade)


def test_image_and_release_can_be_named(tmp_path: Path) -> None:
    _, calls = run_e2e(
        tmp_path, IMAGE="registry.local:5000/bp:1.2", RELEASE="edge", NAMESPACE="edge-ns"
    )
    upgrade = next(call for call in calls if call.startswith("helm upgrade"))
    assert "--install edge" in upgrade
    assert "--namespace edge-ns" in upgrade
    assert "--set image.repository=registry.local:5000/bp --set image.tag=1.2" in upgrade


def test_a_failed_helm_test_fails_the_script_and_shows_the_pods(tmp_path: Path) -> None:
    result, calls = run_e2e(tmp_path, FAIL_ON="test bucketport")
    assert result.returncode != 0
    assert "e2e: failed" in result.stderr
    assert any(call.startswith("kubectl -n bucketport describe pods") for call in calls)


def test_another_chart_and_values_file_can_be_installed(tmp_path: Path) -> None:
    # deploy/kind/upgrade-from-previous.sh installs the previous release's chart this way
    _, calls = run_e2e(tmp_path, CHART="/old/helm/chart", VALUES="/old/values-kind.yaml")
    upgrade = next(call for call in calls if call.startswith("helm upgrade"))
    assert "--install bucketport /old/helm/chart" in upgrade
    assert "--values /old/values-kind.yaml" in upgrade
