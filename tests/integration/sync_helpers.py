"""Endpoints and data for the sync tests: every kind of store on its real stand-in."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import boto3
import httpx
from google.cloud import storage as gcs

from service.jobs.directory import DirectoryStore
from service.storage.gcs import GcsStore
from service.storage.local import LocalStore
from service.storage.s3 import S3Store
from service.storage.threads import Blocking
from tests.fixtures.cloud import AWS_ENV, aws_env, gcs_env, unique
from tests.fixtures.service import REPO

MIB = 1024 * 1024
S3_PART = 5 * MIB
GCS_PIECE = 256 * 1024
KINDS = ["dir", "local", "s3", "gcs"]


async def body(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), MIB):
        yield data[start : start + MIB]
    if not data:
        yield b""


async def read(store: Any, key: str) -> bytes:
    """The whole body of `key` in `store`."""
    download = await store.get(key)
    try:
        return b"".join([chunk async for chunk in download.chunks])
    finally:
        await download.aclose()


def objects() -> dict[str, tuple[bytes, str, dict[str, str]]]:
    """key -> (body, content type, metadata): small, empty, unicode, larger than a part."""
    return {
        "docs/readme.txt": (b"hello\n", "text/plain", {"owner": "ana"}),
        "empty.json": (b"", "application/json", {}),
        "fotos/año/ñandú.jpg": (os.urandom(1000), "image/jpeg", {"camera": "x100"}),
        "video/big.bin": (os.urandom(S3_PART + 1), "application/x-custom", {"parts": "2"}),
    }


def s3_bucket(endpoint: str) -> str:
    bucket = unique("sync")
    with aws_env():
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=bucket
        )
    return bucket


def gcs_bucket(endpoint: str) -> str:
    bucket = unique("sync")
    response = httpx.post(
        f"{endpoint}/storage/v1/b", params={"project": "test"}, json={"name": bucket}
    )
    response.raise_for_status()
    return bucket


def make_store(kind: str, root: Path, moto: str, fake_gcs: str, *, read_only: bool = False) -> Any:
    """A fresh, empty store of `kind` (S3 and GCS under a base prefix in a new bucket)."""
    blocking = Blocking(16)
    if kind == "dir":
        return DirectoryStore(root, blocking=blocking, read_only=read_only)
    if kind == "local":
        return LocalStore(root, blocking=blocking, presign_secret=b"k" * 32)
    if kind == "s3":
        with aws_env():
            return S3Store(
                s3_bucket(moto),
                "base",
                blocking=blocking,
                endpoint_url=moto,
                region="us-east-1",
                addressing_style="path",
                part_size=S3_PART,
            )
    with gcs_env(fake_gcs):
        return GcsStore(gcs_bucket(fake_gcs), "base", blocking=blocking, chunk_size=GCS_PIECE)


def cli_env(moto: str, fake_gcs: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUCKETPORT_")}
    return env | {
        **AWS_ENV,
        "BUCKETPORT_S3_ENDPOINT_URL": moto,
        "BUCKETPORT_S3_ADDRESSING_STYLE": "path",
        "STORAGE_EMULATOR_HOST": fake_gcs,
    }


def run_sync(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", "sync", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every path under `root` with its mode, mtime and content (files) or extended attrs."""
    seen: dict[str, tuple[int, int, bytes]] = {}
    if not root.exists():
        return seen
    for path in [root, *sorted(root.rglob("*"))]:
        stat = path.lstat()
        data = path.read_bytes() if path.is_file() else b""
        xattrs = b"".join(os.getxattr(path, a) for a in os.listxattr(path))
        seen[str(path.relative_to(root))] = (stat.st_mode, stat.st_mtime_ns, data + xattrs)
    return seen


def gcs_client(endpoint: str) -> gcs.Client:
    with gcs_env(endpoint):
        return gcs.Client(project="test")
