"""BUCKETPORT_ROOT_PATH: the service behind a proxy under /files, whether the proxy passes the
prefix on (Gateway API without a rewrite) or strips it (a rewriting Ingress)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.fixtures.service import AUTH_W


@pytest.fixture
def prefixed(make_settings: Callable[..., Settings]) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(root_path="/files"))) as client:
        yield client


@pytest.mark.parametrize("prefix", ["/files", ""])
def test_routes_answer_with_and_without_the_prefix(prefixed: TestClient, prefix: str) -> None:
    assert prefixed.put(f"{prefix}/v1/objects/a.txt", content=b"hi", headers=AUTH_W).is_success
    assert prefixed.get(f"{prefix}/v1/objects/a.txt", headers=AUTH_W).content == b"hi"
    assert prefixed.get(f"{prefix}/healthz").status_code == 200


def test_signed_urls_docs_and_openapi_carry_the_prefix(prefixed: TestClient) -> None:
    prefixed.put("/files/v1/objects/a.txt", content=b"hi", headers=AUTH_W)
    signed = prefixed.post(
        "/files/v1/presign", json={"key": "a.txt", "method": "GET"}, headers=AUTH_W
    ).json()
    path = urlsplit(signed["url"]).path
    assert path == "/files/v1/objects/a.txt"
    query = urlsplit(signed["url"]).query
    assert prefixed.get(f"{path}?{query}").content == b"hi"  # no token: the URL is the grant

    spec = prefixed.get("/files/openapi.json").json()
    assert spec["servers"] == [{"url": "/files"}]
    docs = prefixed.get("/files/docs").text
    assert "'/files/openapi.json'" in docs or '"/files/openapi.json"' in docs
    assert "/files/docs/assets/swagger-ui-bundle.js" in docs
    redoc = prefixed.get("/files/redoc").text
    assert "/files/docs/assets/redoc.standalone.js" in redoc
    assert prefixed.get("/files/docs/assets/redoc.standalone.js").status_code == 200


def test_public_url_with_a_prefix_is_used_as_is(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(root_path="/files", public_url="https://f.example/files")
    with TestClient(create_app(settings)) as client:
        signed = client.post(
            "/files/v1/presign", json={"key": "k", "method": "GET"}, headers=AUTH_W
        ).json()
    assert signed["url"].startswith("https://f.example/files/v1/objects/k?")


def test_a_bad_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="must look like"):
        Settings(auth_enabled=False, root_path="files/")
