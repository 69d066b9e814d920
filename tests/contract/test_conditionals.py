"""RFC 9110 preconditions on reads, huge ranges, made-up cursors and refused writes, run on
every adapter: the version a precondition is judged on is the version served."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from service.api.headers import BEYOND_ANY_SIZE
from service.storage.base import (
    ByteRange,
    ChecksumMismatch,
    Download,
    ETags,
    ExpectedChecksums,
    InvalidArgument,
    InvalidRange,
    NotModified,
    ObjectInfo,
    PreconditionFailed,
    ReadConditions,
    whole_seconds,
)
from tests.contract.conftest import Backend

pytestmark = pytest.mark.anyio


async def body(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def drain(download: Download) -> bytes:
    try:
        return b"".join([chunk async for chunk in download.chunks])
    finally:
        await download.aclose()


def strong(etag: str) -> ETags:
    return ETags(((etag, False),))


def weak(etag: str) -> ETags:
    return ETags(((etag, True),))


async def stored(backend: Backend, key: str, data: bytes) -> ObjectInfo:
    await backend.store.put(key, body(data))
    return await backend.store.head(key)


async def test_if_match_is_a_strong_comparison(backend: Backend) -> None:
    info = await stored(backend, "m", b"v1")
    get = backend.store.get
    assert (
        await drain(await get("m", conditions=ReadConditions(if_match=strong(info.etag)))) == b"v1"
    )
    assert await drain(await get("m", conditions=ReadConditions(if_match=ETags(any=True)))) == b"v1"
    for refused in (weak(info.etag), strong("other")):
        with pytest.raises(PreconditionFailed):
            await get("m", conditions=ReadConditions(if_match=refused))


async def test_if_unmodified_since(backend: Backend) -> None:
    info = await stored(backend, "u", b"v1")
    modified = whole_seconds(info.last_modified)
    get = backend.store.get
    before = ReadConditions(if_unmodified_since=modified - timedelta(seconds=1))
    with pytest.raises(PreconditionFailed):
        await get("u", conditions=before)
    assert await drain(await get("u", conditions=ReadConditions(if_unmodified_since=modified)))
    # If-Match, when present, decides alone (RFC 9110 §13.2.2 step 2).
    both = ReadConditions(
        if_match=strong(info.etag), if_unmodified_since=before.if_unmodified_since
    )
    assert await drain(await get("u", conditions=both)) == b"v1"


async def test_if_none_match_is_weak_and_if_modified_since_gives_304(backend: Backend) -> None:
    info = await stored(backend, "n", b"v1")
    modified = whole_seconds(info.last_modified)
    get = backend.store.get
    for matching in (
        ReadConditions(if_none_match=weak(info.etag)),
        ReadConditions(if_modified_since=modified),
        ReadConditions(if_modified_since=modified + timedelta(hours=1)),
    ):
        with pytest.raises(NotModified) as caught:
            await get("n", conditions=matching)
        assert caught.value.info.etag == info.etag
    since = ReadConditions(if_modified_since=modified - timedelta(seconds=1))
    assert await drain(await get("n", conditions=since)) == b"v1"
    # If-None-Match, when present, decides alone (step 4 is skipped).
    other = ReadConditions(if_none_match=strong("other"), if_modified_since=modified)
    assert await drain(await get("n", conditions=other)) == b"v1"


async def test_failed_if_match_wins_over_a_matching_if_none_match(backend: Backend) -> None:
    info = await stored(backend, "p", b"v1")
    conditions = ReadConditions(if_match=strong("other"), if_none_match=strong(info.etag))
    with pytest.raises(PreconditionFailed):
        await backend.store.get("p", conditions=conditions)


async def test_if_range_serves_the_range_only_for_the_same_version(backend: Backend) -> None:
    v1 = await stored(backend, "r", bytes(range(100)))
    tail = ByteRange(first=90)
    same = ReadConditions(if_range=v1.etag, if_range_present=True)
    download = await backend.store.get("r", byte_range=tail, conditions=same)
    assert download.content_range == (90, 99)
    assert await drain(download) == bytes(range(90, 100))
    dated = ReadConditions(if_range=whole_seconds(v1.last_modified), if_range_present=True)
    download = await backend.store.get("r", byte_range=tail, conditions=dated)
    assert download.content_range == (90, 99)
    await download.aclose()

    v2 = await stored(backend, "r", b"the second version, 40 bytes long......")
    for stale in (
        same,  # the old ETag
        ReadConditions(if_range=None, if_range_present=True),  # a weak tag never matches
        ReadConditions(
            if_range=whole_seconds(v2.last_modified) - timedelta(days=1), if_range_present=True
        ),
    ):
        # Even where the range does not fit the new version, the answer is the whole object.
        for byte_range in (tail, ByteRange(first=10)):
            download = await backend.store.get("r", byte_range=byte_range, conditions=stale)
            assert download.content_range is None
            assert download.info.etag == v2.etag
            assert await drain(download) == b"the second version, 40 bytes long......"


async def test_preconditions_come_before_an_unsatisfiable_range(backend: Backend) -> None:
    await stored(backend, "q", b"short")
    conditions = ReadConditions(if_match=strong("other"))
    with pytest.raises(PreconditionFailed):
        await backend.store.get("q", byte_range=ByteRange(first=1000), conditions=conditions)


async def test_ranges_past_any_size(backend: Backend) -> None:
    await stored(backend, "h", b"0123456789")
    with pytest.raises(InvalidRange) as caught:
        await backend.store.get("h", byte_range=ByteRange(first=BEYOND_ANY_SIZE))
    assert caught.value.size == 10
    for whole in (ByteRange(first=0, last=BEYOND_ANY_SIZE), ByteRange(suffix=BEYOND_ANY_SIZE)):
        download = await backend.store.get("h", byte_range=whole)
        assert download.content_range == (0, 9)
        assert await drain(download) == b"0123456789"


def token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MADE_UP_CURSORS = {
    "not base64": "***",
    "not json": token(b"\xff\xfe"),
    "deep nesting": token(b"[" * 3000),
    "huge number": token(b"[" + b"9" * 5000 + b"]"),
    "a number": token(b"1e999"),
    "a string": token(b'"ab"'),
    "a list of three": token(b'["a", true, 1]'),
    "a dict": token(b'{"a": 1, "b": 2}'),
    "null": token(b"null"),
    "wrong types": token(b'{"t": 5, "p": "", "d": null}'),
}


@pytest.mark.parametrize("cursor", MADE_UP_CURSORS.values(), ids=MADE_UP_CURSORS.keys())
async def test_made_up_cursors_are_invalid_arguments(backend: Backend, cursor: str) -> None:
    with pytest.raises(InvalidArgument):
        await backend.store.list("", cursor=cursor)


async def test_refused_writes_leave_no_prefixes(backend: Backend) -> None:
    await stored(backend, "keep", b"k")

    async def broken() -> AsyncIterator[bytes]:
        yield b"part"
        raise ConnectionResetError("client went away")

    with pytest.raises(PreconditionFailed):
        await backend.store.put("a/b/c", body(b"x"), if_match="nope")
    with pytest.raises(ChecksumMismatch):
        await backend.store.put("d/e/f", body(b"x"), checksums=ExpectedChecksums(md5=b"0" * 16))
    with pytest.raises(ConnectionResetError):
        await backend.store.put("g/h/i", broken())
    page = await backend.store.list("", delimiter="/")
    assert page.prefixes == []
    assert [item.key for item in page.items] == ["keep"]
