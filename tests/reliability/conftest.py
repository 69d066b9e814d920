"""A live service on each backend: the local disk, S3 on moto, GCS on fake-gcs-server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.cloud import unique
from tests.fixtures.emulators import create_bucket, service_env
from tests.fixtures.service import LiveServer, start_server

BACKENDS = ["local", "s3", "gcs"]


@pytest.fixture(params=BACKENDS)
def backend_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    env: dict[str, str] = {}
    if request.param != "local":
        kind = request.param
        endpoint = request.getfixturevalue("moto_endpoint" if kind == "s3" else "gcs_endpoint")
        bucket = unique("drill")
        create_bucket(kind, endpoint, bucket)
        env = service_env(kind, endpoint, bucket)
    server = start_server(tmp_path, env)
    yield server
    server.stop()
