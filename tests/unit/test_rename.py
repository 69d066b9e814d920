"""`make rename`: a fork named acme-files has no trace of the old name and still imports."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from deploy.rename import rename
from tests.fixtures.service import REPO


def tracked_copy(destination: Path) -> Path:
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def test_rename_leaves_no_trace_and_still_runs(tmp_path: Path) -> None:
    # Read the current name, so the test also holds in a fork that was renamed already.
    old = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["name"]
    new = "acme-files" if old != "acme-files" else "zeta-store"
    fork = tracked_copy(tmp_path / "fork")
    changed = rename(fork, new)
    assert changed
    leftovers = [
        str(path.relative_to(fork))
        for path in fork.rglob("*")
        if old in str(path.relative_to(fork)).lower()
        or (path.is_file() and old.encode() in path.read_bytes().lower())
    ]
    assert leftovers == []
    assert f'name = "{new}"' in (fork / "pyproject.toml").read_text()
    prefix = new.upper().replace("-", "_")
    assert f'env_prefix="{prefix}_"' in (fork / "service/settings.py").read_text()
    metric = f'"{new.replace("-", "_")}_http_requests"'
    assert metric in (fork / "service/observability/metrics.py").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "service", "--help"],
        cwd=fork,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert new in result.stdout
    assert rename(fork, new) == [], "renaming to the current name changes nothing"
