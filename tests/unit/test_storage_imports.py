"""A process configured for one backend never imports another backend's SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.service import REPO

PROBE = """
import json, sys
from service.app import create_app
from service.settings import Settings
from service.storage.factory import open_store

settings = Settings(storage_url=sys.argv[1], auth_enabled=False)
create_app(settings)
store = open_store(settings)
sdks = ("boto3", "botocore", "google")
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in sdks)))
"""


def loaded(url: str, **env: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, url],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    names: list[str] = json.loads(result.stdout.splitlines()[-1])
    return names


def test_local_loads_no_cloud_sdk(tmp_path: Path) -> None:
    assert loaded(f"file://{tmp_path}") == []


def test_s3_loads_no_google_sdk() -> None:
    names = loaded("s3://bucket/prefix", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y")
    assert "botocore" in names  # the S3 adapter uses botocore directly (no boto3, s3transfer)
    assert "boto3" not in names
    assert not [name for name in names if name.startswith("google")]


def test_gcs_loads_no_aws_sdk(gcs_endpoint: str) -> None:
    names = loaded("gs://bucket/prefix", STORAGE_EMULATOR_HOST=gcs_endpoint)
    assert "google.cloud.storage" in names
    assert not [name for name in names if name.startswith(("boto3", "botocore"))]


SYNC_PROBE = """
import json, runpy, sys
sys.argv = ["bucketport", "sync", *sys.argv[1:]]
try:
    runpy.run_module("service", run_name="__main__")
except SystemExit as exc:
    assert exc.code == 0, exc.code
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""
SERVER_ONLY = {
    "fastapi",
    "starlette",
    "uvicorn",
    "opentelemetry",
    "prometheus_client",
    "pythonjsonlogger",
}


def test_a_sync_loads_no_server_stack_and_only_its_backends_sdk(tmp_path: Path) -> None:
    """Every `sync` run pays its imports: not the web server's, nor an unused backend's."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f").write_bytes(b"1")
    result = subprocess.run(
        [sys.executable, "-c", SYNC_PROBE, str(tmp_path / "src"), str(tmp_path / "dst")],
        cwd=REPO,
        env=os.environ | {"XDG_CACHE_HOME": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    names = set(json.loads(result.stdout.splitlines()[-1]))
    assert "service" in names
    assert not names & (SERVER_ONLY | {"boto3", "botocore", "google", "tqdm"})


def test_sync_runs_on_uvloop_where_it_exists() -> None:
    import asyncio

    import uvloop

    from service.__main__ import _event_loop_run

    async def loop_type() -> type:
        return type(asyncio.get_running_loop())

    assert _event_loop_run(loop_type()) is uvloop.Loop
