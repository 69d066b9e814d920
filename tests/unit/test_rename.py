"""`make rename`: a fork, whatever its name, renames cleanly (again and again), keeps running, and
the README's fork flow (rename, then the unit tests and the chart render) passes on the copy."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.rename import current, rename
from tests.fixtures.service import REPO, repo_files

NAME, OWNER = current(REPO)
# two names this fork does not have, whatever it is called
FIRST, SECOND = [name for name in ("acme-files", "beta-files", "gamma-files") if name != NAME][:2]


def tracked_copy(destination: Path) -> Path:
    for source in repo_files():
        target = destination / source.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return destination


def traces(root: Path, name: str) -> list[str]:
    """Paths and files that still hold `name` in any of the forms rename replaces."""
    forms = {name.encode(), name.replace("-", "_").encode()}
    return [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if any(form.decode() in str(path.relative_to(root)).lower() for form in forms)
        or (path.is_file() and any(form in path.read_bytes().lower() for form in forms))
    ]


def assert_named(fork: Path, name: str, owner: str) -> None:
    snake, upper = name.replace("-", "_"), name.upper().replace("-", "_")
    assert f'name = "{name}"' in (fork / "pyproject.toml").read_text()
    assert f'Source = "https://github.com/{owner}/{name}"' in (fork / "pyproject.toml").read_text()
    assert f'env_prefix="{upper}_"' in (fork / "service/settings.py").read_text()
    assert f'"{snake}_http_requests"' in (fork / "service/observability/metrics.py").read_text()
    values = (fork / "helm" / name / "values.yaml").read_text()
    assert f"repository: ghcr.io/{owner}/{name}\n" in values, "the fork's own image by default"
    chart = (fork / "helm" / name / "Chart.yaml").read_text()
    assert f"home: https://github.com/{owner}/{name}\n" in chart
    result = subprocess.run(
        [sys.executable, "-m", "service", "--help"],
        cwd=fork,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert name in result.stdout


def test_rename_twice_leaves_no_trace_and_still_runs(tmp_path: Path) -> None:
    fork = tracked_copy(tmp_path / "fork")
    assert rename(fork, FIRST, "acme")
    assert traces(fork, NAME) == []
    assert_named(fork, FIRST, "acme")
    assert rename(fork, SECOND, "beta"), "a fork renames again from its current name"
    assert traces(fork, FIRST) == []
    assert_named(fork, SECOND, "beta")
    assert rename(fork, SECOND, "beta") == [], "renaming to the current name changes nothing"


def test_owner_comes_from_the_github_origin(tmp_path: Path) -> None:
    fork = tracked_copy(tmp_path / "fork")
    subprocess.run(["git", "init", "-q", str(fork)], check=True)
    origin = f"git@github.com:acme-corp/{FIRST}.git"
    subprocess.run(["git", "-C", str(fork), "remote", "add", "origin", origin], check=True)
    rename(fork, FIRST)
    assert current(fork) == (FIRST, "acme-corp")


@pytest.mark.slow
def test_readme_fork_flow(tmp_path: Path) -> None:
    """The README's fork flow on a copy: rename, then that copy's unit tests and chart render."""
    fork = tracked_copy(tmp_path / "fork")
    subprocess.run(["git", "init", "-q", str(fork)], check=True)  # tests list files with git
    subprocess.run(["git", "-C", str(fork), "add", "-A"], check=True)
    (fork / ".tools").symlink_to(REPO / ".tools")  # helm and the npm tools, as already fetched
    assert rename(fork, FIRST, "acme")
    subprocess.run(["git", "-C", str(fork), "add", "-A"], check=True)
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "tests/unit", "tests/chart/test_chart_render.py",
            "-q", "-p", "no:cacheprovider", "-m", "not image",
            "--deselect", "tests/unit/test_rename.py::test_readme_fork_flow",
        ],
        cwd=fork,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
