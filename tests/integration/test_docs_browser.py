"""/docs and /redoc in a real browser (headless Chromium driven by playwright-core): the pages
render offline and an upload through Swagger UI's "Try it out" succeeds, with and without a
root path. What it needs (Debian `chromium`, npm `playwright-core`) is installed when absent."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.fixtures.service import AUTH_R, REPO, WRITER, start_server

SCRIPT = Path(__file__).with_name("docs_browser.mjs")
NPM_MODULES = REPO / ".tools" / "npm" / "node_modules"


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=True, env=env)
        found = shutil.which("chromium")
    assert found, "Debian's chromium is needed: apt-get install chromium"
    subprocess.run([str(REPO / "deploy" / "bin" / "ensure-tools"), "playwright"], check=True)
    return found


@pytest.mark.parametrize("root_path", ["", "/files"])
def test_try_it_out_uploads_and_redoc_renders(
    chromium: str, root_path: str, tmp_path: Path
) -> None:
    server = start_server(tmp_path, {"BUCKETPORT_ROOT_PATH": root_path} if root_path else {})
    base = server.url + root_path
    try:
        result = subprocess.run(
            ["node", str(SCRIPT), base, WRITER, "from-the-browser/hello.txt"],
            env={**os.environ, "NPM_MODULES": str(NPM_MODULES), "CHROMIUM": chromium},
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        seen = json.loads(result.stdout.strip().splitlines()[-1])
        assert seen["status"] == "201", seen
        assert json.loads(seen["body"])["key"] == "from-the-browser/hello.txt"
        assert seen["offOrigin"] == [], "the docs load nothing from a CDN"
        assert seen["redocTitle"].startswith("bucketport")
        stored = httpx.get(f"{base}/v1/objects/from-the-browser/hello.txt", headers=AUTH_R)
        assert stored.content == b"uploaded from Swagger UI"
    finally:
        server.stop()
