"""Checks that mutation testing showed missing (issue 11 item 19): each names the gap."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from service.api import headers as h
from service.api.problems import ApiError
from service.storage import signing
from service.storage.base import ObjectInfo


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone is not UTC, as on many hosts."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_object_headers_on_a_host_outside_utc(new_york: None) -> None:
    moment = datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC)
    info = ObjectInfo(key="k", size=1, etag="e", last_modified=moment)
    headers = h.object_headers(info, datetime(2026, 7, 1, 12, 0, 5, tzinfo=UTC))
    assert headers["Last-Modified"] == "Wed, 01 Jul 2026 12:00:00 GMT"
    assert headers["Date"] == "Wed, 01 Jul 2026 12:00:05 GMT"


def test_object_headers_keep_user_content_inert() -> None:
    info = ObjectInfo(
        key="k",
        size=1,
        etag="e",
        last_modified=datetime(2026, 1, 1, tzinfo=UTC),
        content_type="text/html",
        metadata={"owner": "me"},
        checksums={"sha256": "abc=", "md5": "xyz="},
    )
    headers = h.object_headers(info, datetime(2026, 1, 2, tzinfo=UTC))
    assert headers == {
        "Date": "Fri, 02 Jan 2026 00:00:00 GMT",
        "ETag": '"e"',
        "Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT",
        "Content-Type": "text/html",
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "x-meta-owner": "me",
        "x-checksum-sha256": "abc=",
    }


def test_last_modified_in_the_future_is_reported_as_the_date() -> None:
    info = ObjectInfo(key="k", size=1, etag="e", last_modified=datetime(2030, 1, 1, tzinfo=UTC))
    now = datetime(2026, 1, 1, 0, 0, 0, 999999, tzinfo=UTC)
    headers = h.object_headers(info, now)
    assert headers["Last-Modified"] == headers["Date"] == "Thu, 01 Jan 2026 00:00:00 GMT"


@pytest.mark.parametrize(
    "value",
    [
        'text/plain; charset="utf-8\r\nX-Evil: 1"',
        'text/plain; a="\n"',
        'text/plain; a="\x00"',
        "text/plain\r\n; a=b",
        "text/plain;\ta=b\r\n",
        "text/plain; a=b\x0b",
        "text/plaïn",
        "text/plain; a=ü",
        "text/plain; a",
        "text/plain; =b",
        "text/",
        "/plain",
        "text plain",
        "text/plain/extra",
        "x/" + "y" * 254,
    ],
)
def test_content_type_refuses_control_characters_anywhere(value: str) -> None:
    with pytest.raises(ApiError) as raised:
        h.check_content_type(value)
    assert (raised.value.status, raised.value.code) == (400, "invalid_header")
    assert not h.is_media_type(value)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("text/plain", "text/plain"),
        ("  text/plain\t", "text/plain"),
        ('multipart/form-data; boundary="a b;c"', 'multipart/form-data; boundary="a b;c"'),
        ("application/vnd.api+json;v=1 ;\tq=x", "application/vnd.api+json;v=1 ;\tq=x"),
        ("x/" + "y" * 253, "x/" + "y" * 253),
    ],
)
def test_content_type_accepts_media_types(value: str, kept: str) -> None:
    assert h.check_content_type(value) == kept


def test_signatures_bind_method_key_expiry_and_type() -> None:
    secret = b"s" * 32
    expires = 2_000_000_000
    path = signing.sign(secret, "PUT", "a b/ü", expires, "text/plain")
    assert path.startswith("/v1/objects/a%20b/%C3%BC?")
    signature = path.split(signing.SIGNATURE + "=")[1]

    def check(method: str, key: str, when: str, content_type: str | None) -> str | None:
        return signing.verify(
            secret, method, key, when, signature, content_type=content_type, now=expires - 10
        )

    assert check("PUT", "a b/ü", str(expires), "text/plain") is None
    assert check("GET", "a b/ü", str(expires), "text/plain") is not None
    assert check("PUT", "a b/u", str(expires), "text/plain") is not None
    assert check("PUT", "a b/ü", str(expires + 1), "text/plain") is not None
    assert check("PUT", "a b/ü", str(expires), "text/html") is not None
    assert check("PUT", "a b/ü", str(expires), None) is not None
    assert check("PUT", "a b/ü", "soon", "text/plain") == "The expiry is not a number."
    late = signing.verify(
        secret, "PUT", "a b/ü", str(expires), signature, content_type="text/plain", now=expires + 1
    )
    assert late == "The signed URL has expired."
    on_time = signing.verify(
        secret, "PUT", "a b/ü", str(expires), signature, content_type="text/plain", now=expires
    )
    assert on_time is None
    other_secret = signing.verify(
        b"t" * 32, "PUT", "a b/ü", str(expires), signature, content_type="text/plain", now=0
    )
    assert other_secret is not None


def test_get_signatures_cover_head_and_any_content_type() -> None:
    secret = b"s" * 32
    path = signing.sign(secret, "GET", "k", 2_000_000_000)
    signature = path.split(signing.SIGNATURE + "=")[1]
    for method in ("GET", "HEAD"):
        assert (
            signing.verify(secret, method, "k", "2000000000", signature, content_type="a/b", now=0)
            is None
        )
    assert signing.verify(secret, "PUT", "k", "2000000000", signature, content_type=None, now=0)
    assert signing.verify(secret, "DELETE", "k", "2000000000", signature, content_type=None, now=0)
