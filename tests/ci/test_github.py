"""The rules of the GitHub Actions files that no linter knows: bash everywhere, releases gated on
CI and on the versions, every action pinned by commit with its version beside it. (Schemas,
actionlint, shellcheck and zizmor run in `make lint`.)"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

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
    assert steps
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
