"""Bearer scopes, local signed URLs and the endpoints that need no token."""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.storage import signing
from tests.fixtures.service import AUTH_R, AUTH_W, TOKENS, WRITER
from tests.integration.test_objects import assert_problem, put


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/objects/k"),
        ("HEAD", "/v1/objects/k"),
        ("PUT", "/v1/objects/k"),
        ("DELETE", "/v1/objects/k"),
        ("GET", "/v1/objects"),
        ("POST", "/v1/presign"),
    ],
)
@pytest.mark.parametrize(
    ("authorization", "detail", "challenge"),
    [
        (None, "Send Authorization: Bearer <token>.", "Bearer"),
        (f"Basic {WRITER}", "Send Authorization: Bearer <token>.", "Bearer"),
        ("Bearer", "Send Authorization: Bearer <token>.", "Bearer"),
        (
            "Bearer wrong-token-0123456789",
            "The bearer token is not valid.",
            'Bearer error="invalid_token"',
        ),
    ],
)
def test_no_valid_token_is_401(
    client: TestClient,
    method: str,
    path: str,
    authorization: str | None,
    detail: str,
    challenge: str,
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.request(method, path, headers=headers, json={"key": "k", "method": "GET"})
    assert response.status_code == 401
    # The challenge tells a client (RFC 6750 §3) whether to send a token or to replace its own.
    assert response.headers["www-authenticate"] == challenge
    if method != "HEAD":
        assert_problem(response, 401, "unauthenticated")
        assert response.json()["detail"] == detail


def test_read_token_cannot_write(client: TestClient) -> None:
    put(client, "k", b"x")
    assert client.get("/v1/objects/k", headers=AUTH_R).status_code == 200
    assert client.get("/v1/objects", headers=AUTH_R).status_code == 200
    for method in ("PUT", "DELETE"):
        response = client.request(method, "/v1/objects/k", content=b"y", headers=AUTH_R)
        assert_problem(response, 403, "insufficient_scope")
    presign_put = client.post("/v1/presign", json={"key": "k", "method": "PUT"}, headers=AUTH_R)
    assert_problem(presign_put, 403, "insufficient_scope")
    assert client.get("/v1/objects/k", headers=AUTH_R).content == b"x"


@pytest.mark.parametrize(
    "path", ["/healthz", "/readyz", "/version", "/metrics", "/docs", "/openapi.json"]
)
def test_operational_endpoints_need_no_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_auth_can_be_turned_off(make_settings: Callable[..., Settings]) -> None:
    with TestClient(create_app(make_settings(auth_enabled=False, auth_tokens=[]))) as open_client:
        assert open_client.put("/v1/objects/k", content=b"x").status_code == 201
        assert open_client.get("/v1/objects/k").content == b"x"


def presign(client: TestClient, **body: object) -> dict[str, Any]:
    response = client.post("/v1/presign", json=body, headers=AUTH_W)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_signed_urls_work_without_a_token(client: TestClient) -> None:
    signed_put = presign(client, key="shared/report.csv", method="PUT", content_type="text/csv")
    assert signed_put["headers"] == {"Content-Type": "text/csv"}
    assert signed_put["url"].startswith("http://testserver/v1/objects/shared/report.csv?")
    uploaded = client.put(
        path_of(signed_put["url"]), content=b"a,b", headers={"Content-Type": "text/csv"}
    )
    assert uploaded.status_code == 201
    signed_get = presign(client, key="shared/report.csv", method="GET", expires_in=60)
    downloaded = client.get(path_of(signed_get["url"]))
    assert downloaded.status_code == 200
    assert downloaded.content == b"a,b"
    assert client.head(path_of(signed_get["url"])).status_code == 200


def test_tampered_expired_or_misused_signed_urls_are_403(client: TestClient) -> None:
    put(client, "secret", b"s")
    get_url = path_of(presign(client, key="secret", method="GET")["url"])
    put_url = path_of(presign(client, key="secret", method="PUT", content_type="text/plain")["url"])
    query = parse_qs(urlsplit(get_url).query)
    signature = query[signing.SIGNATURE][0]
    expires = int(query[signing.EXPIRES][0])
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    cases = [
        client.get(get_url.replace(signature, flipped)),
        client.get(get_url.replace("/secret?", "/other?")),
        client.get(get_url.replace(str(expires), str(expires + 3600))),
        client.put(get_url, content=b"overwrite"),
        client.delete(get_url),
        client.put(put_url, content=b"x", headers={"Content-Type": "text/html"}),
        client.get(get_url.replace(str(expires), "soon")),
    ]
    for response in cases:
        assert_problem(response, 403, "invalid_signature")
    assert client.get("/v1/objects/secret", headers=AUTH_R).content == b"s"


def test_signed_url_refusals_say_why(client: TestClient) -> None:
    put(client, "k", b"x")
    get_url = path_of(presign(client, key="k", method="GET")["url"])
    query = parse_qs(urlsplit(get_url).query)
    signature = query[signing.SIGNATURE][0]
    expires = query[signing.EXPIRES][0]
    elsewhere = "Signed URLs are valid for one object only."
    cases = [
        # A signature never opens a listing or the presign route, whatever it signs.
        (client.get(f"/v1/objects?{signing.SIGNATURE}={signature}"), elsewhere),
        (
            client.post(
                f"/v1/presign?{signing.EXPIRES}={expires}&{signing.SIGNATURE}={signature}",
                json={"key": "k", "method": "PUT"},
            ),
            elsewhere,
        ),
        (
            client.get(f"/v1/objects/k?{signing.SIGNATURE}={signature}"),
            "The expiry is not a number.",
        ),
        (client.get(get_url.replace(expires, "soon")), "The expiry is not a number."),
        (client.get(get_url.replace(expires, "1")), "The signed URL has expired."),
        (
            client.get(get_url.replace("/k?", "/other?")),
            "The signature does not match this method, key, expiry and content type.",
        ),
    ]
    for response, detail in cases:
        assert_problem(response, 403, "invalid_signature")
        assert response.json()["detail"] == detail, response.request.url


def test_the_access_log_names_the_caller(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    """docs/operations.md: `principal` is the token's name, `signed-url` or `anonymous`."""
    unnamed = "unnamed-token-0123456789abcdef"
    tokens = [*TOKENS, {"token": unnamed, "scopes": ["read"]}]
    settings = make_settings(auth_tokens=tokens)
    with TestClient(create_app(settings)) as client, caplog.at_level("INFO", "bucketport.access"):
        signed = path_of(presign(client, key="k", method="PUT")["url"])
        requests = [
            ("writer", client.put("/v1/objects/k", content=b"x", headers=AUTH_W)),
            ("reader", client.get("/v1/objects/k", headers=AUTH_R)),
            # Named by its place in the list (from 0), so rotation can still be followed.
            (
                "token-2",
                client.get("/v1/objects/k", headers={"Authorization": f"Bearer {unnamed}"}),
            ),
            ("signed-url", client.put(signed, content=b"y")),
            (None, client.get("/v1/objects/k")),  # refused: nobody to name
        ]
    open_app = create_app(make_settings(auth_enabled=False))
    with TestClient(open_app) as open_client, caplog.at_level("INFO", "bucketport.access"):
        requests.append(("anonymous", open_client.get("/v1/objects")))
    principals = {
        getattr(record, "request_id", None): getattr(record, "principal", "(no field)")
        for record in caplog.records
        if record.name == "bucketport.access"
    }
    for principal, response in requests:
        assert principals[response.headers["x-request-id"]] == principal, response.request.url


def test_expired_signed_url_is_403(client: TestClient) -> None:
    put(client, "old", b"o")
    secret = b"test-presign-secret"
    expired = signing.sign(secret, "GET", "old", int(time.time()) - 1)
    response = client.get(expired)
    assert_problem(response, 403, "invalid_signature")
    assert "expired" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"key": "k", "method": "DELETE"},
        {"key": "k", "method": "GET", "expires_in": 0},
        {"key": "k", "method": "GET", "expires_in": 604801},
        {"key": "", "method": "GET"},
        {"key": "k", "method": "GET", "surprise": 1},
        {"method": "GET"},
    ],
)
def test_presign_rejects_bad_requests(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/v1/presign", json=body, headers=AUTH_W)
    assert_problem(response, 422, "invalid_request")


def test_presign_rejects_bad_keys_and_get_content_type(client: TestClient) -> None:
    bad_key = client.post("/v1/presign", json={"key": "../x", "method": "GET"}, headers=AUTH_W)
    assert_problem(bad_key, 400, "invalid_key")
    typed_get = client.post(
        "/v1/presign", json={"key": "k", "method": "GET", "content_type": "a/b"}, headers=AUTH_W
    )
    assert_problem(typed_get, 400, "invalid_request")


def test_presign_expiry_is_reported(client: TestClient) -> None:
    before = time.time()
    result = presign(client, key="k", method="GET", expires_in=120)
    from datetime import datetime

    expires_at = datetime.fromisoformat(result["expires_at"]).timestamp()
    assert before + 119 <= expires_at <= time.time() + 121
