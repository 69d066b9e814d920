"""API v1 object routes through the ASGI app on the local store: every status and header."""

import base64
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.service import AUTH_R, AUTH_W

PROBLEM = "application/problem+json"


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def put(client: TestClient, key: str, body: bytes = b"hello", **headers: str):  # type: ignore[no-untyped-def]
    return client.put(f"/v1/objects/{key}", content=body, headers={**AUTH_W, **headers})


def stored_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def assert_problem(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    assert body["title"]
    assert body["detail"]


def test_put_creates_then_replaces(client: TestClient) -> None:
    first = put(client, "docs/a.txt", b"one", **{"Content-Type": "text/plain"})
    assert first.status_code == 201
    info = first.json()
    assert info["key"] == "docs/a.txt"
    assert info["size"] == 3
    assert info["content_type"] == "text/plain"
    assert first.headers["etag"] == f'"{info["etag"]}"'
    assert info["checksums"]["sha256"] == b64(hashlib.sha256(b"one").digest())
    second = put(client, "docs/a.txt", b"two")
    assert second.status_code == 200
    assert second.json()["etag"] != info["etag"]


def test_get_returns_body_and_headers(client: TestClient) -> None:
    put(client, "k", b"payload", **{"Content-Type": "text/csv", "x-meta-Owner": "ann"})
    response = client.get("/v1/objects/k", headers=AUTH_R)
    assert response.status_code == 200
    assert response.content == b"payload"
    for name, value in {
        "content-length": "7",
        "content-type": "text/csv",
        "accept-ranges": "bytes",
        "x-content-type-options": "nosniff",
        "x-meta-owner": "ann",
    }.items():
        assert response.headers[name] == value
    assert response.headers["etag"].startswith('"')
    assert response.headers["last-modified"].endswith("GMT")
    assert response.headers["x-request-id"]


def test_large_object_streams_in_chunks(client: TestClient) -> None:
    body = os.urandom(3 * 1024 * 1024 + 17)
    assert put(client, "big.bin", body).status_code == 201
    with client.stream("GET", "/v1/objects/big.bin", headers=AUTH_R) as response:
        assert response.headers["content-length"] == str(len(body))
        assert b"".join(response.iter_bytes()) == body


def test_head_has_get_headers_and_no_body(client: TestClient) -> None:
    put(client, "h", b"12345", **{"x-meta-a": "b"})
    get = client.get("/v1/objects/h", headers=AUTH_R)
    head = client.head("/v1/objects/h", headers=AUTH_R)
    assert head.status_code == 200
    assert head.content == b""
    for name in (
        "content-length",
        "content-type",
        "etag",
        "last-modified",
        "accept-ranges",
        "x-content-type-options",
        "x-meta-a",
    ):
        assert head.headers[name] == get.headers[name]


@pytest.mark.parametrize(
    ("range_header", "status", "body", "content_range"),
    [
        ("bytes=0-3", 206, b"0123", "bytes 0-3/10"),
        ("bytes=4-6", 206, b"456", "bytes 4-6/10"),
        ("bytes=-3", 206, b"789", "bytes 7-9/10"),
        ("bytes=7-", 206, b"789", "bytes 7-9/10"),
        ("bytes=8-100", 206, b"89", "bytes 8-9/10"),
        ("bytes=0-1,4-5", 200, b"0123456789", None),
        ("garbage", 200, b"0123456789", None),
    ],
)
def test_ranges(
    client: TestClient, range_header: str, status: int, body: bytes, content_range: str | None
) -> None:
    put(client, "digits", b"0123456789")
    response = client.get("/v1/objects/digits", headers={**AUTH_R, "Range": range_header})
    assert response.status_code == status
    assert response.content == body
    assert response.headers["content-length"] == str(len(body))
    assert response.headers.get("content-range") == content_range


@pytest.mark.parametrize("range_header", ["bytes=10-", "bytes=10-20", "bytes=-0"])
def test_unsatisfiable_range_is_416(client: TestClient, range_header: str) -> None:
    put(client, "digits", b"0123456789")
    response = client.get("/v1/objects/digits", headers={**AUTH_R, "Range": range_header})
    assert_problem(response, 416, "invalid_range")
    assert response.headers["content-range"] == "bytes */10"


def test_if_none_match_answers_304(client: TestClient) -> None:
    etag = put(client, "c", b"cached").headers["etag"]
    for header in (etag, f'"other", {etag}', "*"):
        response = client.get("/v1/objects/c", headers={**AUTH_R, "If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == etag
    assert (
        client.head("/v1/objects/c", headers={**AUTH_R, "If-None-Match": etag}).status_code == 304
    )
    other = client.get("/v1/objects/c", headers={**AUTH_R, "If-None-Match": '"nope"'})
    assert other.status_code == 200


def test_create_only_and_if_match(client: TestClient, store_root: Path) -> None:
    created = put(client, "cond", b"v1", **{"If-None-Match": "*"})
    assert created.status_code == 201
    assert_problem(put(client, "cond", b"v2", **{"If-None-Match": "*"}), 412, "precondition_failed")
    assert_problem(
        put(client, "cond", b"v2", **{"If-Match": '"wrong"'}), 412, "precondition_failed"
    )
    assert_problem(put(client, "absent", b"x", **{"If-Match": "*"}), 412, "precondition_failed")
    replaced = put(client, "cond", b"v2", **{"If-Match": created.headers["etag"]})
    assert replaced.status_code == 200
    assert client.get("/v1/objects/cond", headers=AUTH_R).content == b"v2"
    assert put(client, "cond", b"v3", **{"If-Match": "*"}).status_code == 200
    assert_problem(put(client, "cond", b"v4", **{"If-None-Match": '"x"'}), 400, "invalid_header")
    assert client.head("/v1/objects/absent", headers=AUTH_R).status_code == 404


def test_checksums_are_verified_before_the_object_is_visible(
    client: TestClient, store_root: Path
) -> None:
    body = b"checked body"
    good = {
        "Content-MD5": b64(hashlib.md5(body).digest()),  # noqa: S324 (the header's algorithm)
        "x-checksum-sha256": b64(hashlib.sha256(body).digest()),
    }
    response = put(client, "sum", body, **good)
    assert response.status_code == 201
    assert response.json()["checksums"]["md5"] == good["Content-MD5"]
    before = stored_files(store_root)
    for header, value in (
        ("Content-MD5", b64(hashlib.md5(b"other").digest())),  # noqa: S324
        ("x-checksum-sha256", b64(hashlib.sha256(b"other").digest())),
    ):
        assert_problem(put(client, "sum", b"tampered", **{header: value}), 400, "checksum_mismatch")
        assert_problem(put(client, "new", b"tampered", **{header: value}), 400, "checksum_mismatch")
    assert client.get("/v1/objects/sum", headers=AUTH_R).content == body
    assert client.head("/v1/objects/new", headers=AUTH_R).status_code == 404
    assert stored_files(store_root) == before
    assert_problem(put(client, "x", b"x", **{"Content-MD5": "bad"}), 400, "invalid_header")


def test_metadata_round_trip(client: TestClient) -> None:
    info = put(client, "m", b"x", **{"x-meta-Color": "red", "X-Meta-size_class": "s"}).json()
    assert info["metadata"] == {"color": "red", "size_class": "s"}
    head = client.head("/v1/objects/m", headers=AUTH_R)
    assert head.headers["x-meta-color"] == "red"
    listed = client.get("/v1/objects", headers=AUTH_R).json()["items"][0]
    assert listed["metadata"] == info["metadata"]
    assert_problem(put(client, "m", b"x", **{"x-meta-bad name": "v"}), 400, "invalid_metadata")


def test_size_limit_is_413_and_stores_nothing(client: TestClient, store_root: Path) -> None:
    limit = 8 * 1024 * 1024
    before = stored_files(store_root)

    def body() -> Iterator[bytes]:
        chunk = b"x" * (1024 * 1024)
        for _ in range(limit // len(chunk) + 2):
            yield chunk

    # Chunked (no Content-Length): refused while streaming.
    streamed = client.put("/v1/objects/huge", content=body(), headers=AUTH_W)
    assert_problem(streamed, 413, "too_large")
    # Declared length over the limit: refused before reading.
    declared = client.put("/v1/objects/huge", content=b"x" * (limit + 1), headers=AUTH_W)
    assert_problem(declared, 413, "too_large")
    assert stored_files(store_root) == before
    assert put(client, "exact", b"x" * limit).status_code == 201


def test_delete_is_idempotent(client: TestClient, store_root: Path) -> None:
    put(client, "a/b/c", b"x")
    assert client.delete("/v1/objects/a/b/c", headers=AUTH_W).status_code == 204
    assert client.delete("/v1/objects/a/b/c", headers=AUTH_W).status_code == 204
    assert client.delete("/v1/objects/never", headers=AUTH_W).status_code == 204
    assert_problem(client.get("/v1/objects/a/b/c", headers=AUTH_R), 404, "not_found")
    assert list((store_root / "objects").iterdir()) == [], "empty directories are removed"


def test_zero_byte_object(client: TestClient) -> None:
    assert put(client, "empty", b"").status_code == 201
    response = client.get("/v1/objects/empty", headers=AUTH_R)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "0"
    assert_problem(
        client.get("/v1/objects/empty", headers={**AUTH_R, "Range": "bytes=0-0"}),
        416,
        "invalid_range",
    )


def test_listing_pages_prefixes_and_delimiters(client: TestClient) -> None:
    keys = ["a", "a-b", "a/x", "a/y/z", "b/1", "b/2", "b/3", "c"]
    for key in keys:
        put(client, key, key.encode())
    everything = client.get("/v1/objects", headers=AUTH_R).json()
    assert [item["key"] for item in everything["items"]] == keys
    assert everything["next_cursor"] is None

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/objects", params=params, headers=AUTH_R).json()
        seen += [item["key"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == keys
    assert pages == 3

    grouped = client.get("/v1/objects", params={"delimiter": "/"}, headers=AUTH_R).json()
    assert [item["key"] for item in grouped["items"]] == ["a", "a-b", "c"]
    assert grouped["prefixes"] == ["a/", "b/"]

    under_a = client.get(
        "/v1/objects", params={"prefix": "a/", "delimiter": "/"}, headers=AUTH_R
    ).json()
    assert [item["key"] for item in under_a["items"]] == ["a/x"]
    assert under_a["prefixes"] == ["a/y/"]

    dashes = client.get("/v1/objects", params={"delimiter": "-"}, headers=AUTH_R).json()
    assert dashes["prefixes"] == ["a-"]

    one_by_one: list[str] = []
    cursor = None
    while True:
        params = {"limit": "1", "delimiter": "/", **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/objects", params=params, headers=AUTH_R).json()
        one_by_one += [item["key"] for item in page["items"]] + page["prefixes"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert one_by_one == ["a", "a-b", "a/", "b/", "c"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"limit": "0"}, 422, "invalid_request"),
        ({"limit": "1001"}, 422, "invalid_request"),
        ({"limit": "ten"}, 422, "invalid_request"),
        ({"cursor": "not-a-cursor"}, 400, "invalid_argument"),
        ({"prefix": "../"}, 400, "invalid_key"),
    ],
)
def test_listing_rejects_bad_parameters(
    client: TestClient, params: dict[str, str], status: int, code: str
) -> None:
    assert_problem(client.get("/v1/objects", params=params, headers=AUTH_R), status, code)


@pytest.mark.parametrize(
    "raw_path",
    [
        "/v1/objects/..%2F..%2Fetc%2Fpasswd",
        "/v1/objects/a/%2E%2E/%2E%2E/etc/passwd",
        "/v1/objects/%2Fetc%2Fpasswd",
        "/v1/objects/a%5Cb",
        "/v1/objects/a%00b",
        "/v1/objects/a%0Ab",
        "/v1/objects/trailing/",
        "/v1/objects/a//b",
        "/v1/objects/%2E",
        "/v1/objects/" + "k" * 1025,
    ],
)
def test_hostile_keys_are_400(client: TestClient, store_root: Path, raw_path: str) -> None:
    before = stored_files(store_root)
    for method in ("PUT", "GET", "HEAD", "DELETE"):
        response = client.request(method, raw_path, content=b"x", headers=AUTH_W)
        assert response.status_code == 400, (method, raw_path)
        if method != "HEAD":
            assert response.json()["code"] == "invalid_key"
    assert stored_files(store_root) == before


def test_unknown_routes_and_methods_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/nope"), 404, "not_found")
    assert_problem(client.post("/v1/objects/a", headers=AUTH_W), 405, "method_not_allowed")
    assert_problem(client.patch("/healthz"), 405, "method_not_allowed")


def test_bad_content_type_is_refused(client: TestClient) -> None:
    assert_problem(put(client, "ct", b"x", **{"Content-Type": "nonsense"}), 400, "invalid_header")
