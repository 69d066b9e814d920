from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest

from tests.terraform.tfconfig import REPO

# checkov pins its own fork of hcl2 and breaks python-hcl2 when installed next to it,
# so it runs in a uv tool environment of its own.
CHECKOV = "checkov==3.3.30"


def _uv() -> str:
    found = shutil.which("uv") or str(REPO / ".tools" / "bootstrap" / "bin" / "uv")
    if not os.access(found, os.X_OK):
        pytest.fail("uv not found: run `make install` first")
    return found


@pytest.fixture(scope="session")
def checkov_report() -> dict[str, Any]:
    """checkov's JSON report for terraform/, run once per session."""
    result = subprocess.run(
        [
            _uv(),
            "tool",
            "run",
            "--from",
            CHECKOV,
            "checkov",
            "--directory",
            "terraform",
            "--framework",
            "terraform",
            "--download-external-modules",
            "false",
            "--skip-download",
            "--compact",
            "--output",
            "json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # Exit code 1 only means "failed checks"; anything else is a crash.
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    reports: list[dict[str, Any]] = report if isinstance(report, list) else [report]
    (terraform,) = [r for r in reports if r.get("check_type") == "terraform"]
    return terraform
