import base64
import hashlib

import pytest

from service.api import headers as h
from service.api.problems import ApiError
from service.storage.base import ByteRange, ETags, InvalidRange


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", ByteRange(first=0, last=9)),
        ("bytes=5-", ByteRange(first=5)),
        ("bytes=-3", ByteRange(suffix=3)),
        (" bytes=1-1 ", ByteRange(first=1, last=1)),
        ("bytes=-0", ByteRange(suffix=0)),
    ],
)
def test_parse_range(header: str, expected: ByteRange) -> None:
    assert h.parse_range(header) == expected


@pytest.mark.parametrize(
    "header",
    [None, "", "bytes=", "bytes=-", "bytes=9-1", "bytes=0-1,5-6", "items=0-1", "bytes=a-b"],
)
def test_unusable_ranges_are_ignored(header: str | None) -> None:
    assert h.parse_range(header) is None


@pytest.mark.parametrize(
    ("byte_range", "size", "span"),
    [
        (ByteRange(first=0, last=9), 100, (0, 9)),
        (ByteRange(first=90, last=200), 100, (90, 99)),
        (ByteRange(first=10), 100, (10, 99)),
        (ByteRange(suffix=10), 100, (90, 99)),
        (ByteRange(suffix=500), 100, (0, 99)),
        (ByteRange(first=0), 1, (0, 0)),
    ],
)
def test_resolve_range(byte_range: ByteRange, size: int, span: tuple[int, int]) -> None:
    assert byte_range.resolve(size) == span


@pytest.mark.parametrize(
    ("byte_range", "size"),
    [
        (ByteRange(first=100), 100),
        (ByteRange(suffix=0), 100),
        (ByteRange(suffix=5), 0),
        (ByteRange(first=0), 0),
    ],
)
def test_unsatisfiable_range(byte_range: ByteRange, size: int) -> None:
    with pytest.raises(InvalidRange) as raised:
        byte_range.resolve(size)
    assert raised.value.size == size


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        (None, None),
        ("*", ETags(any=True)),
        (" * ", ETags(any=True)),
        ('"abc"', ETags((("abc", False),))),
        ('W/"abc", "def"', ETags((("abc", True), ("def", False)))),
        ("abc", ETags((("abc", False),))),
        ('"a",,""', ETags((("a", False),))),
    ],
)
def test_parse_etags(header: str | None, tags: ETags | None) -> None:
    assert h.parse_etags(header) == tags


def test_decode_digest() -> None:
    digest = hashlib.sha256(b"x").digest()
    assert h.decode_digest(base64.b64encode(digest).decode(), "x-checksum-sha256", 32) == digest
    assert h.decode_digest(None, "Content-MD5", 16) is None
    for bad in ("not base64!", base64.b64encode(b"short").decode(), ""):
        with pytest.raises(ApiError, match="base64 of 16 bytes"):
            h.decode_digest(bad, "Content-MD5", 16)


def test_parse_metadata() -> None:
    headers = [("X-Meta-Color", "red"), ("x-meta-owner_id", "42"), ("content-type", "text/plain")]
    assert h.parse_metadata(headers) == {"color": "red", "owner_id": "42"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("x-meta-", "v"),
        ("x-meta-bad name", "v"),
        ("x-meta-ok", "caf\u00e9"),
        ("x-meta-ok", "a\tb"),
        ("x-meta-big", "v" * 3000),
    ],
)
def test_bad_metadata_is_refused(name: str, value: str) -> None:
    with pytest.raises(ApiError) as raised:
        h.parse_metadata([(name, value)])
    assert raised.value.code == "invalid_metadata"


@pytest.mark.parametrize(
    "value", ["text/plain", "application/json; charset=utf-8", "image/svg+xml"]
)
def test_content_types_accepted(value: str) -> None:
    assert h.check_content_type(value) == value


@pytest.mark.parametrize("value", ["text", "text/plain\r\nX-Evil: 1", "a/b; c", "x" * 300])
def test_content_types_refused(value: str) -> None:
    with pytest.raises(ApiError):
        h.check_content_type(value)
