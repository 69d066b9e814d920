"""Checks that mutation testing showed missing (issue 11 item 19): each names the gap."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from service.api import headers as h
from service.api.auth import Principal
from service.api.problems import ApiError
from service.storage import signing
from service.storage.base import ETags, InvalidArgument, InvalidKey, ObjectInfo, StorageError
from service.storage.keys import decode_wire, validate_key, validate_prefix
from service.storage.listing import Entry, decode_token, encode_token, group_by_delimiter


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


# -- exact answers: a client (or a log reader) relies on the words and the formats --------


@pytest.mark.parametrize(
    ("call", "detail"),
    [
        (lambda: validate_key(""), "The key is empty."),
        (lambda: validate_key("a/"), "The key ends with '/'."),
        (lambda: validate_key("/a"), "The key starts with '/'."),
        (lambda: validate_key("a//b"), "The key has an empty, '.' or '..' segment: ''."),
        (lambda: validate_key("a\\b"), "The key contains a backslash."),
        (lambda: validate_key("\udce9"), "The key is not valid UTF-8."),
        (lambda: validate_prefix("/a"), "The prefix starts with '/'."),
        (lambda: validate_prefix("a/../b"), "The prefix has an empty, '.' or '..' segment: '..'."),
        (lambda: validate_prefix("a\x00"), "The prefix contains the control character U+0000."),
        (lambda: decode_wire(b"%E9"), "The key is not valid UTF-8."),
        (lambda: decode_wire(b"%E9", "prefix"), "The prefix is not valid UTF-8."),
        (lambda: h.check_query(b"prefix=%E9"), "The prefix is not valid UTF-8."),
        (lambda: h.check_query(b"cursor=%E9"), "A query parameter is not valid UTF-8."),
    ],
)
def test_refusals_say_exactly_why(call: Callable[[], object], detail: str) -> None:
    with pytest.raises(StorageError) as raised:
        call()
    assert raised.value.detail == detail


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        (b"", None),
        (b"prefix=a&delimiter=%2F&cursor=abc", None),
        (b"prefix=r%C3%A9sum%C3%A9&limit=5", None),
        (b"limit=5&prefix=%E9", InvalidKey),
        (b"pre%66ix=%E9", InvalidKey),  # the name is percent-decoded too
        (b"prefix=ok&prefix=%C0%AF", InvalidKey),
        (b"prefix=a=%E9", InvalidKey),  # the value starts at the first '='
        (b"delimiter=%E9&prefix=a", InvalidArgument),
        (b"%E9", None),  # only values are judged: an unknown name is ignored anyway
        (b"x=1&y=%80", InvalidArgument),
    ],
)
def test_query_strings_are_strict_utf8(query: bytes, refused: type[StorageError] | None) -> None:
    if refused is None:
        h.check_query(query)
        return
    with pytest.raises(StorageError) as raised:
        h.check_query(query)
    assert type(raised.value) is refused


def test_http_dates_are_utc_whatever_they_say(new_york: None) -> None:
    utc = datetime(2001, 1, 1, tzinfo=UTC)
    for value in (
        "Mon, 01 Jan 2001 00:00:00 GMT",
        "Mon, 01 Jan 2001 00:00:00 -0000",  # no zone: read as UTC, not as local time
        "Mon, 01 Jan 2001 02:00:00 +0200",
        "Monday, 01-Jan-01 00:00:00 GMT",
    ):
        parsed = h.parse_http_date(value)
        assert parsed == utc, value
        assert parsed is not None
        assert parsed.tzinfo is UTC
    for bad in (None, "", "garbage", "32 Jan 2001", "Mon, 01 Jan 2001 25:00:00 GMT"):
        assert h.parse_http_date(bad) is None


def test_if_range_validators() -> None:
    tagged = h.read_conditions(if_range='"abc"')
    assert (tagged.if_range, tagged.if_range_present) == ("abc", True)
    assert h.read_conditions(if_range=' "" ').if_range == ""
    assert h.read_conditions(if_range='W/"abc"').if_range is None
    assert h.read_conditions(if_range="abc").if_range is None
    assert h.read_conditions(if_range='"').if_range is None
    dated = h.read_conditions(if_range="Mon, 01 Jan 2001 00:00:00 GMT")
    assert dated.if_range == datetime(2001, 1, 1, tzinfo=UTC)
    absent = h.read_conditions()
    assert (absent.if_range, absent.if_range_present) == (None, False)


def test_listing_tokens_have_one_format() -> None:
    # Cursors outlive a deploy: the format a client holds must keep decoding.
    assert encode_token(["ü", True]) == "WyLDvCIsdHJ1ZV0"
    assert encode_token({"t": "x", "p": "", "d": None}) == "eyJ0IjoieCIsInAiOiIiLCJkIjpudWxsfQ"
    assert decode_token("WyLDvCIsdHJ1ZV0") == ["ü", True]


def test_a_delimiter_at_the_start_of_a_key_groups_it() -> None:
    assert list(group_by_delimiter(["x1", "x2", "y"], "", "x")) == [
        Entry("x", True),
        Entry("y", False),
    ]


def test_signatures_keep_their_format() -> None:
    # URLs outlive a deploy too: a signature made by an earlier version still verifies.
    path = signing.sign(b"s" * 32, "GET", "k", 2_000_000_000)
    expected = "3b0601759fa12428923e09afa06829f34097a7d938622bd571e8f36fb0b03a12"
    assert (
        path == f"/v1/objects/k?X-Bucketport-Expires=2000000000&X-Bucketport-Signature={expected}"
    )


def test_a_typed_signature_needs_that_type() -> None:
    secret = b"s" * 32
    for bound in ("text/plain", "XXXX"):
        path = signing.sign(secret, "PUT", "k", 2_000_000_000, bound)
        signature = path.split(signing.SIGNATURE + "=")[1]
        reason = signing.verify(
            secret, "PUT", "k", "2000000000", signature, content_type=None, now=0
        )
        assert reason == "The signature does not match this method, key, expiry and content type."


def test_metadata_headers() -> None:
    headers = [("Content-Type", "a/b"), ("X-Meta-Owner", "me"), ("other", "x"), ("x-meta-n_1", "")]
    assert h.parse_metadata(headers) == {"owner": "me", "n_1": ""}
    at_limit = [("x-meta-k", "v" * (h.MAX_METADATA_BYTES - 1))]
    assert h.parse_metadata(at_limit) == {"k": "v" * (h.MAX_METADATA_BYTES - 1)}
    for bad, detail in (
        ([("x-meta-Bad Name", "v")], "x-meta-Bad Name is not a valid metadata name."),
        ([("x-meta-_x", "v")], "x-meta-_x is not a valid metadata name."),
        ([("x-meta-ok", "caf\u00e9")], "x-meta-ok must be printable ASCII."),
        ([("x-meta-ok", "a\tb")], "x-meta-ok must be printable ASCII."),
        (
            [("x-meta-k", "v" * h.MAX_METADATA_BYTES)],
            f"User metadata is limited to {h.MAX_METADATA_BYTES} bytes.",
        ),
    ):
        with pytest.raises(ApiError) as raised:
            h.parse_metadata(bad)
        assert (raised.value.status, raised.value.code) == (400, "invalid_metadata")
        assert raised.value.detail == detail


def test_insufficient_scope_is_a_precise_403() -> None:
    reader = Principal("r", frozenset({"read"}))
    reader.check("read")
    with pytest.raises(ApiError) as raised:
        reader.check("write")
    error = raised.value
    assert (error.status, error.code) == (403, "insufficient_scope")
    assert error.detail == "This token lacks the 'write' scope."
    assert error.headers == {"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="write"'}


def test_digests_are_strict_base64_of_their_size() -> None:
    md5 = hashlib.md5(b"x").digest()  # noqa: S324 (Content-MD5)
    good = base64.b64encode(md5).decode()
    assert h.decode_digest(good, "Content-MD5", 16) == md5
    assert h.decode_digest(None, "Content-MD5", 16) is None
    for bad in (good[:10] + "!" + good[10:], good[:-4], good + "AAAA", "", "not base64"):
        with pytest.raises(ApiError) as raised:
            h.decode_digest(bad, "Content-MD5", 16)
        assert (raised.value.status, raised.value.code) == (400, "invalid_header")
        assert raised.value.detail == "Content-MD5 must be the base64 of 16 bytes."


def test_content_type_refusal_and_edges() -> None:
    assert h.check_content_type(None) is None
    assert h.check_content_type("X/Y") == "X/Y"
    assert h.check_content_type("a/bX") == "a/bX"
    with pytest.raises(ApiError) as raised:
        h.check_content_type("nonsense")
    assert raised.value.detail == "Content-Type is not a valid media type."


def test_etags_keep_every_character_inside_the_quotes() -> None:
    assert h.parse_etags('"AX", W/"X"') == ETags((("AX", False), ("X", True)))
