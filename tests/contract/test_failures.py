"""Stores that are missing, down, slow or refusing: every failure becomes a port error quickly,
never a hang and never an SDK exception (whose text could carry account details)."""

# google-auth and api-core constructors are untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from google.api_core import exceptions as api

from service.storage.base import (
    BackendTimeout,
    BackendUnavailable,
    NotFound,
    ObjectStore,
    StorageError,
)
from service.storage.gcs import GcsStore, gcs_error
from service.storage.s3 import S3Store, s3_error
from service.storage.threads import Blocking
from tests.fixtures.cloud import unique
from tests.fixtures.service import free_port

pytestmark = pytest.mark.anyio


@pytest.fixture
def dead_endpoint() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


@pytest.fixture
def hung_endpoint() -> Iterator[str]:
    """Accepts connections (the kernel does) and never answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as server:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


async def _body() -> AsyncIterator[bytes]:
    yield b"data"


async def every_call_fails(store: ObjectStore, error: type[StorageError]) -> None:
    with pytest.raises(error):
        await store.check()
    with pytest.raises(error):
        await store.head("k")
    with pytest.raises(error):
        await store.get("k")
    with pytest.raises(error):
        await store.put("k", _body())
    with pytest.raises(error):
        await store.list("")
    with pytest.raises(error):
        await store.delete("k")


async def test_s3_missing_bucket(make_s3: Callable[..., S3Store]) -> None:
    store = make_s3(unique("absent"))
    with pytest.raises(BackendUnavailable, match="bucket does not exist"):
        await store.check()
    with pytest.raises(BackendUnavailable, match="bucket does not exist"):
        await store.put("k", _body())
    await store.aclose()


async def test_gcs_missing_bucket(make_gcs: Callable[..., GcsStore]) -> None:
    store = make_gcs(unique("absent"))
    with pytest.raises(BackendUnavailable, match="bucket does not exist"):
        await store.check()
    with pytest.raises(BackendUnavailable, match="bucket does not exist"):
        await store.put("k", _body())
    with pytest.raises(NotFound):
        await store.head("k")
    await store.aclose()


async def test_s3_down(make_s3: Callable[..., S3Store], dead_endpoint: str) -> None:
    store = make_s3("bucket", endpoint_url=dead_endpoint, max_attempts=1, timeout=2)
    await every_call_fails(store, BackendUnavailable)
    await store.aclose()


async def test_gcs_down(make_gcs: Callable[..., GcsStore], dead_endpoint: str) -> None:
    store = make_gcs("bucket", endpoint=dead_endpoint, timeout=1)
    await every_call_fails(store, BackendUnavailable)
    await store.aclose()


@pytest.mark.parametrize("kind", ["s3", "gcs"])
async def test_slow_store_times_out(
    kind: str,
    make_s3: Callable[..., S3Store],
    make_gcs: Callable[..., GcsStore],
    hung_endpoint: str,
) -> None:
    store: ObjectStore
    if kind == "s3":
        store = make_s3("bucket", endpoint_url=hung_endpoint, max_attempts=1, timeout=0.5)
    else:
        store = make_gcs("bucket", endpoint=hung_endpoint, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(BackendTimeout):
        await store.check()
    with pytest.raises(BackendTimeout):
        await store.head("k")
    assert time.monotonic() - started < 5
    await store.aclose()


def client_error(code: str, status: int, message: str) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "GetObject")


SECRET = "arn:aws:sts::123456789012:assumed-role/app/session AKIAIOSFODNN7EXAMPLE"


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("NoSuchKey", 404, NotFound),
        ("AccessDenied", 403, BackendUnavailable),
        ("InvalidAccessKeyId", 403, BackendUnavailable),
        ("SignatureDoesNotMatch", 403, BackendUnavailable),
        ("SlowDown", 503, BackendUnavailable),
        ("InternalError", 500, BackendUnavailable),
        ("RequestTimeout", 400, BackendTimeout),
    ],
)
def test_s3_errors_map_without_leaking(
    code: str, status: int, expected: type[StorageError]
) -> None:
    error = s3_error(client_error(code, status, SECRET))
    assert type(error) is expected
    assert "123456789012" not in error.detail
    assert "AKIA" not in error.detail


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (api.NotFound(SECRET), NotFound),
        (api.Forbidden(SECRET), BackendUnavailable),
        (api.Unauthorized(SECRET), BackendUnavailable),
        (api.ServiceUnavailable(SECRET), BackendUnavailable),
        (api.GatewayTimeout(SECRET), BackendTimeout),
        (api.RetryError(SECRET, api.GatewayTimeout(SECRET)), BackendTimeout),
    ],
)
def test_gcs_errors_map_without_leaking(exc: Exception, expected: type[StorageError]) -> None:
    error = gcs_error(exc)
    assert type(error) is expected
    assert "123456789012" not in error.detail


async def test_s3_without_credentials(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    store = S3Store("bucket", blocking=Blocking(2), endpoint_url=moto_endpoint, max_attempts=1)
    with pytest.raises(BackendUnavailable, match="No usable AWS credentials"):
        await store.check()
    await store.aclose()


def test_gcs_without_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "no-such-key.json"))
    with pytest.raises(BackendUnavailable, match="No usable Google credentials") as caught:
        GcsStore("bucket", blocking=Blocking(2))
    assert str(tmp_path) not in caught.value.detail
