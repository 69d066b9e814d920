"""One `backend` fixture, parametrised over every adapter: each contract test runs on local
disk, S3 on moto in-process, S3 on moto over HTTP and GCS on fake-gcs-server over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from google.cloud import storage as gcs
from moto import mock_aws

from service.storage.base import ObjectStore
from service.storage.gcs import CHUNK_SIZE as GCS_PIECE
from service.storage.gcs import GcsStore
from service.storage.local import LocalStore
from service.storage.s3 import S3Store
from service.storage.threads import Blocking
from tests.fixtures.cloud import aws_env, gcs_env, unique

S3_PART = 5 * 1024 * 1024  # the smallest part S3 accepts
BACKENDS = ["local", "s3-mock", "s3-server", "gcs"]


@dataclass
class Backend:
    name: str
    store: ObjectStore
    part_size: int
    """Bodies larger than this take the multipart / resumable path."""
    pending_uploads: Callable[[], list[Any]] = field(default=lambda: [])
    """Uploads started but neither completed nor aborted (S3 multipart)."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def make_s3(moto_endpoint: str) -> Callable[..., S3Store]:
    def make(bucket: str, prefix: str = "", **options: Any) -> S3Store:
        options.setdefault("endpoint_url", moto_endpoint)
        with aws_env():
            return S3Store(
                bucket,
                prefix,
                blocking=Blocking(8),
                region="us-east-1",
                addressing_style="path",
                part_size=S3_PART,
                **options,
            )

    return make


@pytest.fixture
def make_gcs(gcs_endpoint: str) -> Callable[..., GcsStore]:
    def make(
        bucket: str, prefix: str = "", endpoint: str | None = None, **options: Any
    ) -> GcsStore:
        with gcs_env(endpoint or gcs_endpoint):
            return GcsStore(bucket, prefix, blocking=Blocking(8), **options)

    return make


def s3_bucket(endpoint: str | None) -> tuple[Any, str]:
    with aws_env():
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    bucket = unique("bucket")
    client.create_bucket(Bucket=bucket)
    return client, bucket


def gcs_bucket(endpoint: str) -> str:
    with gcs_env(endpoint):
        client = gcs.Client(project="test")
    bucket = unique("bucket")
    client.create_bucket(bucket)
    return bucket


@pytest.fixture
def s3_mock() -> Iterator[None]:
    with aws_env(), mock_aws():
        yield


@pytest.fixture(params=BACKENDS)
async def backend(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    make_s3: Callable[..., S3Store],
    make_gcs: Callable[..., GcsStore],
    gcs_endpoint: str,
    moto_endpoint: str,
) -> AsyncIterator[Backend]:
    name: str = request.param
    prefix = unique("base")  # every adapter but local runs under a base prefix
    if name == "local":
        store: ObjectStore = LocalStore(tmp_path, blocking=Blocking(8), presign_secret=b"k" * 32)
        result = Backend(name, store, part_size=S3_PART)
    elif name.startswith("s3"):
        if name == "s3-mock":
            request.getfixturevalue("s3_mock")
        endpoint = moto_endpoint if name == "s3-server" else None
        client, bucket = s3_bucket(endpoint)
        s3 = make_s3(bucket, prefix, endpoint_url=endpoint)

        def pending() -> list[Any]:
            return list(client.list_multipart_uploads(Bucket=bucket).get("Uploads", []))

        result = Backend(name, s3, part_size=S3_PART, pending_uploads=pending)
    else:
        result = Backend(name, make_gcs(gcs_bucket(gcs_endpoint), prefix), part_size=GCS_PIECE)
    yield result
    await result.store.aclose()
