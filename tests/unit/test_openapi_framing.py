"""The OpenAPI document never offers HTTP framing headers as parameters: a client generated
from it (or a fuzzer) would send a Content-Length that lies about the body, desynchronising
the kept-alive connection for the next request."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.connections import REFUSAL_STATUSES
from tests.fixtures.service import AUTH_W

FRAMING = {"content-length", "transfer-encoding", "connection", "host"}


def test_no_operation_takes_a_framing_header(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    offered = {
        (path, method, parameter["name"].lower())
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "header" and parameter["name"].lower() in FRAMING
    }
    assert offered == set()


def test_declared_length_over_the_limit_is_413_before_the_body(client: TestClient) -> None:
    limit = client.app.state.settings.max_upload_bytes  # type: ignore[attr-defined]
    response = client.put(
        "/v1/objects/too-big",
        content=b"x",
        headers={**AUTH_W, "Content-Length": str(limit + 1)},
    )
    assert response.status_code == 413


def test_every_operation_documents_the_connection_guards_refusals(client: TestClient) -> None:
    """The guard answers before routing (a 20 KiB query string gets 431 on any route), so a
    generated client or a conformance check must find those statuses on every operation."""
    spec = client.get("/openapi.json").json()
    undocumented = {
        (path, method, status)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for status in REFUSAL_STATUSES
        if str(status) not in operation["responses"]
    }
    assert undocumented == set()
