"""Endpoints and data for the sync tests: every kind of store on its real stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
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
from tests.fixtures.cloud import AWS_ENV, aws_env, gcs_env, unique, wait_until_up
from tests.fixtures.service import REPO, free_port

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


def make_store(
    kind: str,
    root: Path,
    moto: str,
    fake_gcs: str,
    *,
    read_only: bool = False,
    blocking: Blocking | None = None,
) -> Any:
    """A fresh, empty store of `kind` (S3 and GCS under a base prefix in a new bucket)."""
    blocking = blocking or Blocking(16)
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


USER_CACHE = Path(tempfile.mkdtemp(prefix="bucketport-test-cache-"))
"""`sync` keeps digests in the user cache directory: the tests' runs keep theirs here."""


def cli_env(moto: str, fake_gcs: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUCKETPORT_")}
    return env | {
        "XDG_CACHE_HOME": str(USER_CACHE),
        **AWS_ENV,
        "BUCKETPORT_S3_ENDPOINT_URL": moto,
        "BUCKETPORT_S3_ADDRESSING_STYLE": "path",
        "STORAGE_EMULATOR_HOST": fake_gcs,
    }


def run_sync(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", "sync", *args],
        cwd=cwd,
        env=env or os.environ | {"XDG_CACHE_HOME": str(USER_CACHE)},
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


@contextmanager
def read_only_s3(tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """A moto server of its own that checks credentials, holding one bucket: yields its URL,
    the bucket and the keys of a user whose policy may read the bucket but not write to it.

    moto checks credentials only after the first INITIAL_NO_AUTH_ACTION_COUNT requests: here the
    readiness probe and the four calls that make the bucket, the user, its policy and its key
    (the shared moto server checks none)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "moto-auth.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env=os.environ | {"INITIAL_NO_AUTH_ACTION_COUNT": "5"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(url, server)
        bucket = unique("readonly")
        admin: dict[str, Any] = {
            "endpoint_url": url,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        boto3.client("s3", **admin).create_bucket(Bucket=bucket)
        iam = boto3.client("iam", **admin)
        iam.create_user(UserName="reader")
        # moto names HeadBucket's permission s3:HeadBucket; AWS checks s3:ListBucket for it.
        read = ["s3:ListBucket", "s3:HeadBucket", "s3:GetObject"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": read,
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                }
            ],
        }
        iam.put_user_policy(
            UserName="reader", PolicyName="read-only", PolicyDocument=json.dumps(policy)
        )
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        yield (
            url,
            bucket,
            {
                "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
                "AWS_DEFAULT_REGION": "us-east-1",
            },
        )
    finally:
        server.terminate()
        server.wait(10)


def rewrite_keeping_size_and_mtime(path: Path) -> bytes:
    stat = path.stat()
    data = os.urandom(stat.st_size)
    path.write_bytes(data)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return data
