"""Paths, value sets and the helm runner shared by the chart tests."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "bucketport"
DEPLOY = ROOT / "deploy"
HERE = Path(__file__).resolve().parent
NAMESPACE = "bucketport"
RELEASE = "bp"
FULLNAME = f"{RELEASE}-bucketport"

# A test token: the chart refuses to render without one (or auth.existingSecret)
AUTH = HERE / "values-auth.yaml"

# name -> values files; "all-on" turns every optional object on, "all-off" every one off
VALUE_SETS: dict[str, list[Path]] = {
    "defaults": [],
    "eks": [DEPLOY / "values-eks.yaml", HERE / "values-eks-stage1.yaml"],
    "gke": [DEPLOY / "values-gke.yaml", HERE / "values-gke-stage1.yaml"],
    "kind": [DEPLOY / "values-kind.yaml"],
    "all-on": [HERE / "values-all-on.yaml"],
    "all-off": [HERE / "values-all-off.yaml"],
}

Manifest = dict[str, Any]
Render = Callable[..., list[Manifest]]


def helm_path() -> str:
    """The pinned helm: on PATH at that version, else the copy ensure-tools unpacks into .tools."""
    script = ROOT / "deploy" / "bin" / "ensure-tools"
    found = subprocess.run([script, "--which", "helm"], capture_output=True, text=True, check=True)
    return found.stdout.strip()


def helm_args(values: Iterable[Path] = (), settings: dict[str, Any] | None = None) -> list[str]:
    """--values for files, --set-json for settings so that 12.5 stays a number and None is null."""
    args = [f"--values={path}" for path in values]
    args += [f"--set-json={key}={json.dumps(value)}" for key, value in (settings or {}).items()]
    return args


def renderer(helm: str) -> Render:
    """helm template -> the rendered objects; raises CalledProcessError when helm refuses.

    The test token (AUTH) comes first, so value files and settings can replace it.
    """

    def run(
        values: Iterable[Path] = (),
        settings: dict[str, Any] | None = None,
        *,
        show_only: str | None = None,
        token: bool = True,
    ) -> list[Manifest]:
        cmd = [helm, "template", RELEASE, str(CHART), f"--namespace={NAMESPACE}"]
        cmd += helm_args([AUTH, *values] if token else values, settings)
        if show_only:
            cmd.append(f"--show-only={show_only}")
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return [doc for doc in yaml.safe_load_all(out) if doc]

    return run


def find(objects: list[Manifest], kind: str, name: str | None = None) -> Manifest:
    """The one object of a kind (with that name, when several)."""
    matches = [
        obj for obj in objects if obj["kind"] == kind and name in (None, obj["metadata"]["name"])
    ]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, got {len(matches)}"
    return matches[0]


def kinds(objects: list[Manifest]) -> set[str]:
    return {obj["kind"] for obj in objects}
