"""Keys judged on their raw bytes, prefixes as prefixes, RFC 9110 conditionals and dates, huge
numbers and presign input, through the ASGI app and a real server."""

from __future__ import annotations

import os
import time
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient

from service.storage import signing
from tests.fixtures.service import AUTH_R, AUTH_W, start_server

PROBLEM = "application/problem+json"


def put(client: TestClient, key: str, body: bytes, **headers: str) -> httpx2.Response:
    return client.put(f"/v1/objects/{key}", content=body, headers={**AUTH_W, **headers})


def assert_problem(response: httpx2.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == code


# -- keys on raw bytes ---------------------------------------------------------------------

NOT_UTF8 = {
    "latin-1 e-acute": "r%E9sum%E9.pdf",
    "latin-1 e-grave": "r%E8sum%E8.pdf",
    "overlong slash": "a%C0%AFb",
    "stray continuation": "a%80b",
    "truncated sequence": "a%E2%82",
    "encoded surrogate": "a%ED%A0%80b",
    "raw 0xff": "a%FFb",
}


@pytest.mark.parametrize("path", NOT_UTF8.values(), ids=NOT_UTF8.keys())
def test_keys_that_are_not_utf8_are_400_on_every_route(
    client: TestClient, store_root: Path, path: str
) -> None:
    for method in ("PUT", "GET", "HEAD", "DELETE"):
        response = client.request(method, "/v1/objects/" + path, content=b"x", headers=AUTH_W)
        assert response.status_code == 400, (method, response.status_code)
        if method != "HEAD":
            assert response.json()["code"] == "invalid_key"
    listing = client.get("/v1/objects?prefix=" + path, headers=AUTH_R)
    assert_problem(listing, 400, "invalid_key")
    assert list((store_root / "objects").iterdir()) == []


def test_distinct_invalid_keys_never_alias_one_object(client: TestClient) -> None:
    assert put(client, "r%C3%A9sum%C3%A9.pdf", b"utf-8").status_code == 201
    assert put(client, "r%E9sum%E9.pdf", b"latin-1").status_code == 400
    assert put(client, "r%E8sum%E8.pdf", b"other").status_code == 400
    assert client.get("/v1/objects/résumé.pdf", headers=AUTH_R).content == b"utf-8"
    # U+FFFD itself, sent as valid UTF-8, is an ordinary character.
    assert put(client, "r%EF%BF%BDsum.pdf", b"replacement char").status_code == 201


def test_other_query_values_that_are_not_utf8_are_400(client: TestClient) -> None:
    response = client.get("/v1/objects?cursor=%E9", headers=AUTH_R)
    assert_problem(response, 400, "invalid_argument")


# -- prefixes are not keys -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("dot/.", ["dot/..x", "dot/.env"]),
        ("dot/..", ["dot/..x"]),
        ("dot/", ["dot/..x", "dot/.env", "dot/plain"]),
        ("do", ["dot/..x", "dot/.env", "dot/plain"]),
    ],
)
def test_prefixes_are_judged_as_starts_of_keys(
    client: TestClient, prefix: str, expected: list[str]
) -> None:
    for key in ("dot/.env", "dot/..x", "dot/plain"):
        assert put(client, key, b"x").status_code == 201
    response = client.get("/v1/objects", params={"prefix": prefix}, headers=AUTH_R)
    assert response.status_code == 200, response.text
    assert [item["key"] for item in response.json()["items"]] == expected


@pytest.mark.parametrize("prefix", ["dot/./", "dot/../", "a//", "/a", "a\\b", "a\nb", "./"])
def test_prefixes_that_no_key_can_start_with_are_400(client: TestClient, prefix: str) -> None:
    response = client.get("/v1/objects", params={"prefix": prefix}, headers=AUTH_R)
    assert_problem(response, 400, "invalid_key")


# -- conditional requests ------------------------------------------------------------------


def test_if_range_with_a_stale_validator_gets_the_whole_new_object(client: TestClient) -> None:
    v1 = put(client, "resume", b"A" * 100)
    etag_v1 = v1.headers["etag"]
    first = client.get("/v1/objects/resume", headers={**AUTH_R, "Range": "bytes=0-49"})
    assert first.status_code == 206
    last_modified = first.headers["last-modified"]
    resumed = {**AUTH_R, "Range": "bytes=50-", "If-Range": etag_v1}
    same = client.get("/v1/objects/resume", headers=resumed)
    assert (same.status_code, same.content) == (206, b"A" * 50)

    put(client, "resume", b"B" * 100)
    for validator in (etag_v1, "W/" + etag_v1, "not a validator"):
        response = client.get("/v1/objects/resume", headers={**resumed, "If-Range": validator})
        assert response.status_code == 200
        assert response.content == b"B" * 100
        assert "content-range" not in response.headers
    dated = client.get(
        "/v1/objects/resume",
        headers={**resumed, "If-Range": last_modified},
    )
    assert dated.status_code in (200, 206)  # the same second: a date cannot tell them apart
    current = client.head("/v1/objects/resume", headers=AUTH_R).headers
    exact = client.get(
        "/v1/objects/resume", headers={**resumed, "If-Range": current["last-modified"]}
    )
    assert (exact.status_code, exact.content) == (206, b"B" * 50)
    strong_now = client.get("/v1/objects/resume", headers={**resumed, "If-Range": current["etag"]})
    assert strong_now.status_code == 206


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_failed_if_match_and_if_unmodified_since_are_412(client: TestClient, method: str) -> None:
    etag = put(client, "cond", b"body").headers["etag"]
    last_modified = client.head("/v1/objects/cond", headers=AUTH_R).headers["last-modified"]
    earlier = "Mon, 01 Jan 2001 00:00:00 GMT"
    for headers in (
        {"If-Match": '"other"'},
        {"If-Match": "W/" + etag},
        {"If-Unmodified-Since": earlier},
    ):
        response = client.request(method, "/v1/objects/cond", headers={**AUTH_R, **headers})
        assert response.status_code == 412, headers
        if method == "GET":
            assert response.headers["content-type"] == PROBLEM
    for headers in (
        {"If-Match": etag},
        {"If-Match": f'"x", {etag}'},
        {"If-Match": "*"},
        {"If-Unmodified-Since": last_modified},
        {"If-Unmodified-Since": "not a date"},  # ignored
        {"If-Match": etag, "If-Unmodified-Since": earlier},  # If-Match decides
    ):
        response = client.request(method, "/v1/objects/cond", headers={**AUTH_R, **headers})
        assert response.status_code == 200, headers


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_modified_since_gives_304_when_nothing_changed(client: TestClient, method: str) -> None:
    etag = put(client, "ims", b"body").headers["etag"]
    last_modified = client.head("/v1/objects/ims", headers=AUTH_R).headers["last-modified"]
    response = client.request(
        method, "/v1/objects/ims", headers={**AUTH_R, "If-Modified-Since": last_modified}
    )
    assert response.status_code == 304
    assert response.headers["etag"] == etag
    assert response.content == b""
    older = "Mon, 01 Jan 2001 00:00:00 GMT"
    for headers in (
        {"If-Modified-Since": older},
        {"If-Modified-Since": "garbage"},
        {"If-Modified-Since": last_modified, "If-None-Match": '"other"'},
    ):
        response = client.request(method, "/v1/objects/ims", headers={**AUTH_R, **headers})
        assert response.status_code == 200, headers
    weak = client.request(
        method, "/v1/objects/ims", headers={**AUTH_R, "If-None-Match": "W/" + etag}
    )
    assert weak.status_code == 304


def test_if_match_on_put_is_strong(client: TestClient) -> None:
    etag = put(client, "pm", b"v1").headers["etag"]
    refused = put(client, "pm", b"v2", **{"If-Match": "W/" + etag})
    assert_problem(refused, 412, "precondition_failed")
    assert client.get("/v1/objects/pm", headers=AUTH_R).content == b"v1"
    assert put(client, "pm", b"v2", **{"If-Match": etag}).status_code == 200


# -- dates -----------------------------------------------------------------------------------


def test_last_modified_is_never_later_than_date(client: TestClient, store_root: Path) -> None:
    put(client, "future", b"x")
    ahead = time.time() + 3600  # a clock ahead of ours, as a remote store's may be
    os.utime(store_root / "objects" / "future.o", (ahead, ahead))
    for method in ("GET", "HEAD"):
        response = client.request(method, "/v1/objects/future", headers=AUTH_R)
        date = parsedate_to_datetime(response.headers["date"])
        assert parsedate_to_datetime(response.headers["last-modified"]) <= date


def test_every_response_has_one_date(client: TestClient) -> None:
    for response in (client.get("/healthz"), client.get("/v1/objects/absent", headers=AUTH_R)):
        assert len(response.headers.get_list("date")) == 1


def test_get_and_head_on_a_host_outside_utc(tmp_path: Path) -> None:
    server = start_server(tmp_path, {"TZ": "America/New_York"})
    try:
        with httpx.Client(base_url=server.url, headers=AUTH_W, timeout=10) as http:
            assert http.put("/v1/objects/tz", content=b"x").status_code == 201
            mtime = (tmp_path / "live-store" / "objects" / "tz.o").stat().st_mtime
            for method in ("GET", "HEAD"):
                response = http.request(method, "/v1/objects/tz")
                assert response.status_code == 200
                assert response.headers["last-modified"].endswith(" GMT")
                modified = parsedate_to_datetime(response.headers["last-modified"])
                assert modified.timestamp() == int(mtime)
                assert len(response.headers.get_list("date")) == 1
                date = parsedate_to_datetime(response.headers["date"])
                assert modified <= date
    finally:
        server.stop()


# -- huge numbers ----------------------------------------------------------------------------


def test_huge_numbers_in_a_range(client: TestClient) -> None:
    put(client, "ranged", b"0123456789")
    huge = "9" * 5000
    unsatisfiable = client.get("/v1/objects/ranged", headers={**AUTH_R, "Range": f"bytes={huge}-"})
    assert_problem(unsatisfiable, 416, "invalid_range")
    assert unsatisfiable.headers["content-range"] == "bytes */10"
    for header in (f"bytes=0-{huge}", f"bytes=-{huge}", f"bytes=0000000000000000000000-{huge}"):
        whole = client.get("/v1/objects/ranged", headers={**AUTH_R, "Range": header})
        assert (whole.status_code, whole.content) == (206, b"0123456789")
        assert whole.headers["content-range"] == "bytes 0-9/10"


@pytest.mark.parametrize(
    "cursor",
    [
        "W1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tb" * 60,  # [[[[… nesting
        "Wzk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ",  # [999…]
        "eyJ0IjogNX0",  # {"t": 5}
        "WzEsIDJd",  # [1, 2]
    ],
)
def test_made_up_cursors_are_400(client: TestClient, cursor: str) -> None:
    response = client.get("/v1/objects", params={"cursor": cursor[:4096]}, headers=AUTH_R)
    assert_problem(response, 400, "invalid_argument")


# -- presign input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain\r\nX-Injected: 1",
        'text/plain; charset="utf-8\r\nX-Injected: 1"',
        "text/plain; a=b\n",
        "nonsense",
        "tëxt/plain",
    ],
)
def test_presign_content_type_must_be_a_media_type(client: TestClient, content_type: str) -> None:
    body = {"key": "k", "method": "PUT", "content_type": content_type}
    assert_problem(client.post("/v1/presign", json=body, headers=AUTH_W), 422, "invalid_request")


def test_presign_key_follows_the_local_stores_rules(client: TestClient) -> None:
    body = {"key": "a/" + "s" * 300, "method": "PUT"}
    assert_problem(client.post("/v1/presign", json=body, headers=AUTH_W), 400, "invalid_key")


def test_a_signed_url_never_authorises_a_listing(client: TestClient) -> None:
    put(client, "k", b"secret listing")
    signed = client.post("/v1/presign", json={"key": "k", "method": "GET"}, headers=AUTH_W)
    query = urlsplit(signed.json()["url"]).query
    assert client.get("/v1/objects/k?" + query).status_code == 200
    # The same parameters, and ones signed for the empty key, on the keyless listing route.
    forged = signing.sign(b"test-presign-secret", "GET", "", int(time.time()) + 60)
    for params in (query, urlsplit(forged).query):
        response = client.get("/v1/objects?" + params)
        assert_problem(response, 403, "invalid_signature")
        response = client.get("/v1/objects?" + params, headers=AUTH_R)
        assert_problem(response, 403, "invalid_signature")
