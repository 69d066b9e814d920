"""`make rename`: a fork named acme-files has no trace of the old name and still imports."""

import shutil
import subprocess
import sys
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
    fork = tracked_copy(tmp_path / "fork")
    changed = rename(fork, "acme-files")
    assert changed
    leftovers = [
        str(path.relative_to(fork))
        for path in fork.rglob("*")
        if "bucketport" in str(path.relative_to(fork)).lower()
        or (path.is_file() and b"bucketport" in path.read_bytes().lower())
    ]
    assert leftovers == []
    assert 'name = "acme-files"' in (fork / "pyproject.toml").read_text()
    assert 'env_prefix="ACME_FILES_"' in (fork / "service/settings.py").read_text()
    assert '"acme_files_http_requests"' in (fork / "service/observability/metrics.py").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "service", "--help"],
        cwd=fork,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "acme-files" in result.stdout
    assert rename(fork, "acme-files") == [], "renaming to the current name changes nothing"
