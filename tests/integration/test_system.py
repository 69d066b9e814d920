"""Health, readiness, version, metrics and the OpenAPI document."""

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.fixtures.service import AUTH_R, AUTH_W
from tests.integration.test_objects import assert_problem, put


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json()["status"] == "ok"


def test_readiness_fails_when_the_store_is_unwritable(
    make_settings: Callable[..., Settings], store_root: Path
) -> None:
    with TestClient(create_app(make_settings(readiness_cache_seconds=0))) as client:
        (store_root / "objects").chmod(0o500)
        try:
            import os

            if os.geteuid() == 0:
                # root ignores permissions: take the directory away instead.
                (store_root / "objects").rename(store_root / "gone")
            response = client.get("/readyz")
        finally:
            if (store_root / "gone").exists():
                (store_root / "gone").rename(store_root / "objects")
            (store_root / "objects").chmod(0o755)
        assert_problem(response, 503, "not_ready")
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200


def test_readiness_is_503_while_draining(client: TestClient) -> None:
    client.app.state.lifecycle.draining = True  # type: ignore[attr-defined]
    assert_problem(client.get("/readyz"), 503, "draining")
    assert client.get("/healthz").status_code == 200


def test_version(client: TestClient) -> None:
    body = client.get("/version").json()
    assert body["name"] == "bucketport"
    assert body["backend"] == "local"
    assert body["version"].count(".") >= 2


def test_metrics_count_routes_bytes_and_storage(client: TestClient) -> None:
    put(client, "some/key", b"12345")
    client.get("/v1/objects/some/key", headers=AUTH_R)
    client.get("/v1/objects/missing", headers=AUTH_R)
    text = client.get("/metrics").text
    assert (
        'bucketport_http_requests_total{method="PUT",route="/v1/objects/{key:key}",'
        'status="201"} 1.0' in text
    )
    assert 'route="/v1/objects/{key:key}",status="404"' in text
    assert "some/key" not in text, "raw keys must never become labels"
    assert (
        'bucketport_storage_operation_duration_seconds_count{backend="local",operation="put"} 1.0'
        in text
    )
    assert (
        'bucketport_storage_operation_errors_total{backend="local",code="not_found",'
        'operation="get"} 1.0' in text
    )
    assert "bucketport_http_received_bytes_total 5.0" in text
    assert "bucketport_http_requests_in_flight" in text


def test_request_id_is_honoured_or_made(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id;drop"}).headers[
        "x-request-id"
    ]
    assert len(generated) == 32


def test_openapi_describes_every_route_header_and_error(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths) >= {
        "/v1/objects/{key}",
        "/v1/objects",
        "/v1/presign",
        "/healthz",
        "/readyz",
        "/version",
        "/metrics",
    }
    obj = paths["/v1/objects/{key}"]
    assert set(obj) == {"put", "get", "head", "delete"}
    put_params = {p["name"] for p in obj["put"]["parameters"]}
    assert put_params >= {"key", "content-md5", "x-checksum-sha256", "if-none-match", "if-match"}
    assert {p["name"] for p in obj["get"]["parameters"]} >= {"key", "Range", "if-none-match"}
    for method, statuses in {
        "put": {"400", "401", "403", "412", "413"},
        "get": {"206", "304", "404", "416"},
    }.items():
        assert statuses <= set(obj[method]["responses"]), method
    problem = obj["get"]["responses"]["404"]["content"]["application/problem+json"]
    assert problem["schema"]["$ref"].endswith("/Problem")
    assert "bearer" in str(spec["components"]["securitySchemes"]).lower()


def test_openapi_operation_ids_media_types_servers_and_license(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ids = {
        f"{method.upper()} {path}": operation["operationId"]
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }
    # stable names: generated clients call their methods by these
    assert ids == {
        "PUT /v1/objects/{key}": "put_object",
        "GET /v1/objects/{key}": "get_object",
        "HEAD /v1/objects/{key}": "head_object",
        "DELETE /v1/objects/{key}": "delete_object",
        "GET /v1/objects": "list_objects",
        "POST /v1/presign": "presign",
        "GET /healthz": "healthz",
        "GET /readyz": "readyz",
        "GET /version": "version_info",
        "GET /metrics": "metrics",
    }
    obj = spec["paths"]["/v1/objects/{key}"]
    assert list(obj["put"]["requestBody"]["content"]) == ["application/octet-stream"]
    for status in ("200", "206"):
        assert list(obj["get"]["responses"][status]["content"]) == ["application/octet-stream"]
    assert spec["servers"] == [{"url": "/"}]
    assert spec["info"]["license"]["identifier"] == "Apache-2.0"
    for path in ("/healthz", "/readyz", "/version", "/metrics"):
        assert spec["paths"][path]["get"]["security"] == [], path
    assert obj["get"]["security"] == [{"HTTPBearer": []}]


def test_put_keeps_any_content_type(client: TestClient) -> None:
    for content_type in ("text/csv", "image/png", "application/x-anything"):
        put = client.put(
            "/v1/objects/typed", content=b"a,b", headers={**AUTH_W, "Content-Type": content_type}
        )
        assert put.status_code in (200, 201)
        assert put.json()["content_type"] == content_type
        assert client.get("/v1/objects/typed", headers=AUTH_W).headers["content-type"] == (
            content_type
        )


def test_docs_need_no_cdn(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "cdn" not in html.lower()
    assert "https://" not in html
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200


def test_cors_is_off_unless_configured(
    client: TestClient, make_settings: Callable[..., Settings]
) -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "PUT"}
    assert (
        "access-control-allow-origin"
        not in client.options("/v1/objects/k", headers=preflight).headers
    )
    settings = make_settings(cors_origins=["https://app.example"])
    with TestClient(create_app(settings)) as cors_client:
        response = cors_client.options("/v1/objects/k", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://app.example"
        assert cors_client.delete("/v1/objects/k", headers=AUTH_W).status_code == 204


def test_an_unexpected_error_is_logged_under_the_request_id_sent_back(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    """docs/api.md: for a 500, "the log has the traceback under the same request id"."""
    app = create_app(make_settings())

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level("INFO"):
        response = client.get("/boom")
    assert_problem(response, 500, "internal_error")
    errors = [r for r in caplog.records if r.name == "bucketport.errors"]
    assert [(r.exc_info is not None, getattr(r, "request_id", None)) for r in errors] == [
        (True, response.headers["x-request-id"])
    ]
