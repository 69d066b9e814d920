"""API v1 served from S3 (moto over HTTP) and GCS (fake-gcs-server): the object-route suite
written for local disk runs unchanged, plus what only a remote store can get wrong."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.contract.conftest import gcs_bucket, s3_bucket
from tests.fixtures.cloud import aws_env, gcs_env, unique
from tests.fixtures.service import AUTH_R, AUTH_W
from tests.integration import test_objects as local_suite
from tests.integration.test_objects import assert_problem

MIB = 1024 * 1024


def cloud_settings(
    kind: str, make_settings: Callable[..., Settings], endpoint: str, bucket: str, **extra: object
) -> Settings:
    if kind == "s3":
        return make_settings(
            storage_url=f"s3://{bucket}/{unique('base')}",
            s3_endpoint_url=endpoint,
            s3_region="us-east-1",
            s3_addressing_style="path",
            s3_part_size=5 * MIB,
            **extra,
        )
    return make_settings(storage_url=f"gs://{bucket}/{unique('base')}", **extra)


@contextmanager
def cloud_client(
    kind: str,
    make_settings: Callable[..., Settings],
    endpoints: dict[str, str],
    **extra: object,
) -> Iterator[TestClient]:
    endpoint = endpoints[kind]
    if kind == "s3":
        bucket, env = s3_bucket(endpoint)[1], aws_env()
    else:
        bucket, env = gcs_bucket(endpoint), gcs_env(endpoint)
    settings = cloud_settings(kind, make_settings, endpoint, bucket, **extra)
    with env, TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def endpoints(moto_endpoint: str, gcs_endpoint: str) -> dict[str, str]:
    return {"s3": moto_endpoint, "gcs": gcs_endpoint}


@pytest.fixture(params=["s3", "gcs"])
def client(
    request: pytest.FixtureRequest,
    make_settings: Callable[..., Settings],
    endpoints: dict[str, str],
) -> Iterator[TestClient]:
    """Replaces the local-disk `client` of tests.fixtures.service for the tests below."""
    with cloud_client(request.param, make_settings, endpoints) as test_client:
        yield test_client


# The local-disk suite, rerun on each cloud backend (tests that inspect files on disk stay there).
test_get_returns_body_and_headers = local_suite.test_get_returns_body_and_headers
test_large_object_streams_in_chunks = local_suite.test_large_object_streams_in_chunks
test_head_has_get_headers_and_no_body = local_suite.test_head_has_get_headers_and_no_body
test_ranges = local_suite.test_ranges
test_unsatisfiable_range_is_416 = local_suite.test_unsatisfiable_range_is_416
test_if_none_match_answers_304 = local_suite.test_if_none_match_answers_304
test_create_only_and_if_match = local_suite.test_create_only_and_if_match
test_checksums_are_verified = local_suite.test_checksums_are_verified_before_the_object_is_visible
test_size_limit_is_413 = local_suite.test_size_limit_is_413_and_stores_nothing
test_zero_byte_object = local_suite.test_zero_byte_object
test_listing_rejects_bad_parameters = local_suite.test_listing_rejects_bad_parameters
test_hostile_keys_are_400 = local_suite.test_hostile_keys_are_400


@pytest.mark.parametrize("client", ["s3"], indirect=True)
def test_listing_pages_prefixes_and_delimiters(client: TestClient) -> None:
    """S3 only: fake-gcs-server repeats every common prefix on every page, which real GCS does
    not; tests/contract checks GCS listings with that allowance."""
    local_suite.test_listing_pages_prefixes_and_delimiters(client)


@pytest.mark.parametrize("client", ["gcs"], indirect=True)
def test_metadata_round_trip(client: TestClient) -> None:
    local_suite.test_metadata_round_trip(client)


@pytest.mark.parametrize("client", ["s3"], indirect=True)
def test_metadata_round_trip_but_not_in_s3_listings(client: TestClient) -> None:
    """ListObjectsV2 returns no user metadata or content type; a HEAD per listed key would."""
    info = local_suite.put(client, "m", b"x", **{"x-meta-Color": "red"}).json()
    assert info["metadata"] == {"color": "red"}
    head = client.head("/v1/objects/m", headers=AUTH_R)
    assert head.headers["x-meta-color"] == "red"
    listed = client.get("/v1/objects", headers=AUTH_R).json()["items"][0]
    # unknown, said as null (the schema says when), never a made-up {} or default type
    assert (listed["key"], listed["etag"]) == ("m", info["etag"])
    assert (listed["metadata"], listed["content_type"]) == (None, None)


def test_put_then_replace_and_delete(client: TestClient) -> None:
    first = client.put("/v1/objects/docs/a.txt", content=b"one", headers=AUTH_W)
    assert first.status_code == 201
    second = client.put("/v1/objects/docs/a.txt", content=b"two", headers=AUTH_W)
    assert second.status_code == 200
    assert second.headers["etag"] != first.headers["etag"]
    for _ in range(2):
        assert client.delete("/v1/objects/docs/a.txt", headers=AUTH_W).status_code == 204
    assert_problem(client.get("/v1/objects/docs/a.txt", headers=AUTH_R), 404, "not_found")


@pytest.mark.parametrize("kind", ["s3", "gcs"])
def test_multipart_sized_upload_round_trips(
    kind: str, make_settings: Callable[..., Settings], endpoints: dict[str, str]
) -> None:
    body = bytes(range(256)) * (9 * MIB // 256) + b"tail"  # more than one part on both
    with cloud_client(kind, make_settings, endpoints, max_upload_bytes=64 * MIB) as client:
        response = client.put("/v1/objects/large.bin", content=iter([body]), headers=AUTH_W)
        assert response.status_code == 201, response.text
        with client.stream("GET", "/v1/objects/large.bin", headers=AUTH_R) as download:
            assert download.headers["content-length"] == str(len(body))
            assert b"".join(download.iter_bytes()) == body
        ranged = client.get("/v1/objects/large.bin", headers={**AUTH_R, "Range": "bytes=-4"})
        assert (ranged.status_code, ranged.content) == (206, b"tail")


def test_readiness_checks_the_bucket(client: TestClient) -> None:
    assert client.get("/readyz").status_code == 200


@pytest.fixture
def hung_endpoint() -> Iterator[str]:
    """Accepts connections (the kernel does) and never answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as server:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


@pytest.mark.parametrize("kind", ["s3", "gcs"])
@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        ("down", 503, "backend_unavailable"),
        ("hung", 504, "backend_timeout"),
    ],
)
def test_a_failing_store_is_a_problem_not_a_hang(
    kind: str,
    failure: str,
    status: int,
    code: str,
    make_settings: Callable[..., Settings],
    hung_endpoint: str,
) -> None:
    endpoint = hung_endpoint if failure == "hung" else "http://127.0.0.1:9"  # 9: refused
    env = aws_env() if kind == "s3" else gcs_env(endpoint)
    settings = cloud_settings(
        kind,
        make_settings,
        endpoint,
        "bucket",
        storage_timeout_seconds=1,
        s3_max_attempts=1,
        readiness_cache_seconds=0,
    )
    with env, TestClient(create_app(settings), raise_server_exceptions=False) as client:
        started = time.monotonic()
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/problem+json"
        assert_problem(client.get("/v1/objects/k", headers=AUTH_R), status, code)
        assert_problem(client.put("/v1/objects/k", content=b"x", headers=AUTH_W), status, code)
        assert client.get("/healthz").status_code == 200
        assert time.monotonic() - started < 15


def test_s3_presigned_urls_through_the_api(
    make_settings: Callable[..., Settings], endpoints: dict[str, str]
) -> None:
    with cloud_client("s3", make_settings, endpoints) as client:
        signed = client.post(
            "/v1/presign",
            json={"key": "up/x.txt", "method": "PUT", "content_type": "text/plain"},
            headers=AUTH_W,
        )
        assert signed.status_code == 200, signed.text
        upload = signed.json()
        response = httpx.put(upload["url"], content=b"presigned", headers=upload["headers"])
        assert response.status_code == 200
        got = client.get("/v1/objects/up/x.txt", headers=AUTH_R)
        assert (got.content, got.headers["content-type"]) == (b"presigned", "text/plain")
