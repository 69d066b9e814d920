"""The rules of the GitHub Actions files that no linter knows: bash everywhere, releases gated on
CI and on the versions, every action pinned by commit with its version beside it. (Schemas,
actionlint, shellcheck and zizmor run in `make lint`.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.helm import helm_path
from tests.ci.run_steps import run_steps

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")
LOCAL = re.compile(r"^\./\.github/workflows/[\w.-]+\.ya?ml( # .*)?$")


def load(name: str) -> dict[str, Any]:
    workflow: dict[Any, Any] = yaml.safe_load((GITHUB / "workflows" / name).read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads `on` as true
    return workflow


def test_workflows_exist() -> None:
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "release.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_pinned_by_commit_with_version_comment(path: Path) -> None:
    lines = [line.strip().removeprefix("- ") for line in path.read_text().splitlines()]
    uses = [line.removeprefix("uses:").strip() for line in lines if line.startswith("uses:")]
    assert uses
    assert [ref for ref in uses if not PINNED.match(ref) and not LOCAL.match(ref)] == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_run_step_runs_in_bash(path: Path) -> None:
    # bash gets -eo pipefail from GitHub; the runner's default shell has no pipefail
    workflow = yaml.safe_load(path.read_text())
    assert workflow["defaults"]["run"]["shell"] == "bash"
    steps = list(run_steps(path))
    assert [f"{s.job} / {s.name}" for s in steps if s.shell != "bash"] == []


def needs(jobs: dict[str, Any], name: str) -> set[str]:
    """Every job that must finish before `name` starts (needs, transitively)."""
    direct = jobs[name].get("needs", [])
    direct = [direct] if isinstance(direct, str) else direct
    return set(direct).union(*(needs(jobs, job) for job in direct))


def test_release_publishes_only_what_ci_passed_at_the_right_version() -> None:
    release = load("release.yml")
    assert set(release["on"]) == {"push"}, "no manual or other trigger that skips the gates"
    assert set(release["on"]["push"]) == {"tags"}
    assert "workflow_call" in load("ci.yml")["on"]
    jobs = release["jobs"]
    [ci] = [name for name, job in jobs.items() if job.get("uses") == "./.github/workflows/ci.yml"]
    [versions] = [name for name, job in jobs.items()
                  if "check-version" in str(job.get("steps", ""))]  # fmt: skip
    writers = [name for name, job in jobs.items()
               if "write" in str(job.get("permissions", {}).values())]  # fmt: skip
    assert writers
    assert [job for job in writers if not {ci, versions} <= needs(jobs, job)] == []
    assert not any(str(job.get("if", "")).startswith("always()") for job in jobs.values())


def test_release_pushes_each_version_once_to_registries_with_immutable_tags() -> None:
    """Terraform makes ECR and Artifact Registry with immutable tags: a floating tag (`1.0`)
    would be pushed again by the next patch release and refused there."""
    registries = (ROOT / "terraform/aws/registry.tf").read_text() + (
        ROOT / "terraform/gcp/registry.tf"
    ).read_text()
    assert 'image_tag_mutability = "IMMUTABLE"' in registries
    assert "immutable_tags = true" in registries
    steps = [step for job in load("release.yml")["jobs"].values() for step in job.get("steps", [])]
    tags = [
        line.strip()
        for step in steps
        if "docker/metadata-action" in step.get("uses", "")
        for line in step["with"]["tags"].splitlines()
        if line.strip()
    ]
    assert tags == ["type=semver,pattern={{version}}"]


def test_release_version_check() -> None:
    script = ROOT / "deploy/release.py"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    ok = subprocess.run([sys.executable, script, "check-version", f"v{version}"], check=False)
    assert ok.returncode == 0
    bad = subprocess.run(
        [sys.executable, script, "check-version", "v999.0.0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert f"pyproject.toml version is {version}, tag v999.0.0 says 999.0.0" in bad.stderr
    assert "Chart.yaml version" in bad.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    assert workflow["permissions"] == {}, "the default token gets nothing; each job asks"
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, name
        assert "write-all" not in str(job["permissions"]), name
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def test_release_packages_the_chart_with_the_image_it_pushed(tmp_path: Path) -> None:
    """A fork's published chart must name the fork's image, tag and digest, and its source."""
    name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    shutil.copytree(ROOT / "helm", tmp_path / "helm")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "deploy").mkdir()
    shutil.copy(ROOT / "deploy/release.py", tmp_path / "deploy")
    digest = "sha256:" + "ab" * 32
    subprocess.run(
        [sys.executable, tmp_path / "deploy/release.py", "chart-image", "ghcr.io/acme/files",
         "1.2.3", digest, "https://github.com/acme/files"],
        check=True,
    )  # fmt: skip
    chart = yaml.safe_load((tmp_path / "helm" / name / "Chart.yaml").read_text())
    assert chart["home"] == "https://github.com/acme/files"
    assert chart["sources"] == ["https://github.com/acme/files"]
    images = yaml.safe_load(chart["annotations"]["artifacthub.io/images"])
    assert images[0]["image"] == f"ghcr.io/acme/files:1.2.3@{digest}"
    rendered = subprocess.run(
        [helm_path(), "template", "r", tmp_path / "helm" / name, "--set", "auth.enabled=false"],
        capture_output=True,
        text=True,
        check=True,
    )
    docs = [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]
    [deployment] = [doc for doc in docs if doc["kind"] == "Deployment"]
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert {c["image"] for c in containers} == {f"ghcr.io/acme/files@{digest}"}


def test_each_tool_version_is_pinned_once() -> None:
    python = (ROOT / ".python-version").read_text().strip()
    dockerfile = (ROOT / "Dockerfile").read_text()
    [base] = re.findall(r"^FROM (\S+) AS base$", dockerfile, re.M)
    assert re.fullmatch(rf"python:{re.escape(python)}-slim@sha256:[0-9a-f]{{64}}", base)
    assert "--requirement /tmp/requirements-uv.txt" in dockerfile
    assert re.fullmatch(r"uv==\d+\.\d+\.\d+", (ROOT / "deploy/requirements-uv.txt").read_text()
                        .splitlines()[-1])  # fmt: skip
    makefile = (ROOT / "Makefile").read_text()
    assert "$(file < .python-version)" in makefile
    assert "UV_REQUIREMENTS := deploy/requirements-uv.txt" in makefile
    for name in ("ci.yml", "release.yml"):
        for job in load(name)["jobs"].values():
            for step in job.get("steps", []):
                uses = str(step.get("uses", ""))
                if uses.startswith("astral-sh/setup-uv@"):
                    assert step["with"]["version-file"] == "deploy/requirements-uv.txt"
                if uses.startswith("actions/setup-python@"):
                    assert step["with"]["python-version-file"] == ".python-version"
                if uses.startswith("azure/setup-helm@"):
                    assert step["with"]["version"] == "${{ steps.tools.outputs.helm }}"


def test_kind_runs_the_charts_oldest_kubernetes_and_a_newest() -> None:
    name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    chart = yaml.safe_load((ROOT / "helm" / name / "Chart.yaml").read_text())
    floor = re.match(r">=(\d+\.\d+)", chart["kubeVersion"])
    assert floor
    kind = load("ci.yml")["jobs"]["kind"]
    nodes = [entry["node_image"] for entry in kind["strategy"]["matrix"]["include"]]
    minors = sorted(tuple(map(int, re.findall(r":v(\d+)\.(\d+)\.", n)[0])) for n in nodes)
    assert minors[0] == tuple(map(int, floor.group(1).split(".")))
    assert minors[-1] > minors[0]
    assert all("@sha256:" in node for node in nodes)


def test_ci_ok_needs_every_job_and_only_prs_cancel() -> None:
    ci = load("ci.yml")
    jobs = ci["jobs"]
    assert set(jobs["ci-ok"]["needs"]) == set(jobs) - {"ci-ok"}
    assert jobs["ci-ok"]["if"] == "always()"
    assert ci["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    for name in ("ci.yml", "release.yml", "security.yml"):
        for job_name, job in load(name)["jobs"].items():
            assert "uses" in job or job.get("timeout-minutes"), f"{name} {job_name}"


def test_ci_yml_runs_every_target_of_ci_run() -> None:
    """The README says ci.yml runs what .ci/run runs: each `make` target there is run by a job."""
    local = set(re.findall(r"\bmake ([\w-]+)", (ROOT / ".ci" / "run").read_text()))
    steps = [step for job in load("ci.yml")["jobs"].values() for step in job.get("steps", [])]
    on_github = {
        target
        for step in steps
        for command in re.findall(r"\bmake((?: [\w-]+)+)", str(step.get("run", "")))
        for target in command.split()
    }
    assert local >= {"test", "drills", "bench-quick"}
    assert local - on_github == set()
