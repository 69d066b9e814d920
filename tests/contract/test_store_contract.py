"""The storage port's contract, run unchanged against every adapter (see conftest.py)."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import AsyncIterator

import anyio
import anyio.lowlevel
import pytest

from service.storage.base import (
    SHA256_METADATA,
    ByteRange,
    ChecksumMismatch,
    ETags,
    ExpectedChecksums,
    InvalidArgument,
    InvalidKey,
    InvalidRange,
    NotFound,
    NotModified,
    ObjectInfo,
    PreconditionFailed,
    ReadConditions,
    TooLarge,
)
from tests.contract.conftest import Backend

pytestmark = pytest.mark.anyio
MIB = 1024 * 1024


async def body(data: bytes, piece: int = 64 * 1024) -> AsyncIterator[bytes]:
    """The body as an API request delivers it: in pieces unrelated to any part size."""
    for start in range(0, len(data), piece):
        yield data[start : start + piece]


async def read(backend: Backend, key: str, byte_range: ByteRange | None = None) -> bytes:
    download = await backend.store.get(key, byte_range=byte_range)
    try:
        return b"".join([chunk async for chunk in download.chunks])
    finally:
        await download.aclose()


async def assert_absent(backend: Backend, key: str) -> None:
    with pytest.raises(NotFound):
        await backend.store.head(key)
    assert backend.pending_uploads() == []


def sizes(backend: Backend) -> list[int]:
    return [0, 1, backend.part_size + 1]


@pytest.mark.parametrize("case", ["empty", "one byte", "part size + 1"])
async def test_round_trip(backend: Backend, case: str) -> None:
    size = {"empty": 0, "one byte": 1, "part size + 1": backend.part_size + 1}[case]
    data = os.urandom(size)
    written = await backend.store.put("dir/object.bin", body(data))
    assert written.created
    assert written.info.size == size
    assert written.info.key == "dir/object.bin"

    assert await read(backend, "dir/object.bin") == data
    head = await backend.store.head("dir/object.bin")
    assert (head.size, head.etag, head.key) == (size, written.info.etag, "dir/object.bin")

    again = await backend.store.put("dir/object.bin", body(data[::-1]))
    assert not again.created
    assert await read(backend, "dir/object.bin") == data[::-1]
    assert backend.pending_uploads() == []


async def test_64_mib_streams_both_ways(backend: Backend) -> None:
    data = os.urandom(64 * MIB)
    digest = hashlib.sha256(data).digest()
    written = await backend.store.put(
        "big", body(data, MIB), checksums=ExpectedChecksums(sha256=digest)
    )
    assert written.info.size == len(data)
    download = await backend.store.get("big")
    seen, pieces = hashlib.sha256(), 0
    async for chunk in download.chunks:
        assert len(chunk) <= MIB
        seen.update(chunk)
        pieces += 1
    assert seen.digest() == digest
    assert pieces >= 64


@pytest.mark.parametrize(
    ("byte_range", "span"),
    [
        (ByteRange(first=0, last=9), (0, 9)),
        (ByteRange(first=100, last=199), (100, 199)),
        (ByteRange(suffix=10), (990, 999)),
        (ByteRange(suffix=5000), (0, 999)),
        (ByteRange(first=990), (990, 999)),
        (ByteRange(first=995, last=5000), (995, 999)),
    ],
    ids=["first", "middle", "suffix", "suffix-longer-than-object", "open-ended", "past-end"],
)
async def test_ranges(backend: Backend, byte_range: ByteRange, span: tuple[int, int]) -> None:
    data = os.urandom(1000)
    await backend.store.put("ranged", body(data))
    download = await backend.store.get("ranged", byte_range=byte_range)
    got = b"".join([chunk async for chunk in download.chunks])
    assert download.content_range == span
    assert download.info.size == 1000
    assert got == data[span[0] : span[1] + 1]


@pytest.mark.parametrize(
    "byte_range", [ByteRange(first=1000), ByteRange(first=5000, last=6000)], ids=["at", "beyond"]
)
async def test_unsatisfiable_range(backend: Backend, byte_range: ByteRange) -> None:
    await backend.store.put("ranged", body(os.urandom(1000)))
    with pytest.raises(InvalidRange) as caught:
        await backend.store.get("ranged", byte_range=byte_range)
    assert caught.value.size == 1000


async def test_any_range_of_an_empty_object_is_unsatisfiable(backend: Backend) -> None:
    await backend.store.put("empty", body(b""))
    with pytest.raises(InvalidRange) as caught:
        await backend.store.get("empty", byte_range=ByteRange(first=0))
    assert caught.value.size == 0


def none_match(etag: str) -> ReadConditions:
    return ReadConditions(if_none_match=ETags(((etag, False),)))


async def test_if_none_match_on_get(backend: Backend) -> None:
    written = await backend.store.put("cached", body(b"v1"))
    with pytest.raises(NotModified) as caught:
        await backend.store.get("cached", conditions=none_match(written.info.etag))
    assert caught.value.info.etag == written.info.etag
    assert caught.value.info.size == 2
    download = await backend.store.get("cached", conditions=none_match("some-other-etag"))
    await download.aclose()


@pytest.mark.parametrize("size", ["small", "multipart"])
async def test_create_only(backend: Backend, size: str) -> None:
    data = os.urandom(10 if size == "small" else backend.part_size + 1)
    first = await backend.store.put("once", body(data), if_none_match_any=True)
    assert first.created
    with pytest.raises(PreconditionFailed):
        await backend.store.put("once", body(b"second"), if_none_match_any=True)
    with pytest.raises(PreconditionFailed):
        await backend.store.put("once", body(data[::-1]), if_none_match_any=True)
    assert await read(backend, "once") == data
    assert backend.pending_uploads() == []


@pytest.mark.parametrize("size", ["small", "multipart"])
async def test_if_match(backend: Backend, size: str) -> None:
    data = os.urandom(10 if size == "small" else backend.part_size + 1)
    first = await backend.store.put("guarded", body(b"v1"))
    with pytest.raises(PreconditionFailed):
        await backend.store.put("guarded", body(data), if_match="not-the-etag")
    assert await read(backend, "guarded") == b"v1"

    second = await backend.store.put("guarded", body(data), if_match=first.info.etag)
    assert not second.created
    assert second.info.etag != first.info.etag
    assert await read(backend, "guarded") == data
    with pytest.raises(PreconditionFailed):  # the old ETag no longer holds
        await backend.store.put("guarded", body(b"v3"), if_match=first.info.etag)
    with pytest.raises(PreconditionFailed):
        await backend.store.put("absent", body(b"x"), if_match=first.info.etag)
    await assert_absent(backend, "absent")


async def test_two_racing_create_only_puts_one_wins(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend.name.startswith("s3"):
        # moto checks and stores without a lock, so racing it shows nothing about S3 (whose
        # conditional writes are atomic) and fails at random on a busy machine. What the
        # adapter owes is to hand the condition to the store: with its own HEAD blinded, the
        # store alone must refuse the second create.
        await backend.store.put("race", body(b"first"), if_none_match_any=True)

        async def sees_nothing(*args: object) -> None:
            return None

        monkeypatch.setattr(backend.store, "_head", sees_nothing)
        with pytest.raises(PreconditionFailed):
            await backend.store.put("race", body(b"second"), if_none_match_any=True)
        with pytest.raises(PreconditionFailed):
            await backend.store.put(
                "race", body(b"x" * (backend.part_size + 1)), if_none_match_any=True
            )
        assert await read(backend, "race") == b"first"
        return
    outcomes: list[str] = []

    async def attempt(payload: bytes) -> None:
        try:
            await backend.store.put("race", body(payload), if_none_match_any=True)
            outcomes.append("won")
        except PreconditionFailed:
            outcomes.append("lost")

    for _ in range(5):
        await backend.store.delete("race")
        outcomes.clear()
        async with anyio.create_task_group() as group:
            group.start_soon(attempt, b"a" * 1000)
            group.start_soon(attempt, b"b" * 1000)
        assert sorted(outcomes) == ["lost", "won"]
        assert await read(backend, "race") in (b"a" * 1000, b"b" * 1000)


@pytest.mark.parametrize("size", ["small", "multipart"])
@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
async def test_checksum_mismatch_stores_nothing(
    backend: Backend, size: str, algorithm: str
) -> None:
    data = os.urandom(10 if size == "small" else backend.part_size * 2 + 1)
    wrong = ExpectedChecksums(**{algorithm: getattr(hashlib, algorithm)(b"other").digest()})
    with pytest.raises(ChecksumMismatch):
        await backend.store.put("checked", body(data), checksums=wrong)
    await assert_absent(backend, "checked")

    # A failed replace keeps the old object.
    await backend.store.put("checked", body(b"old"))
    with pytest.raises(ChecksumMismatch):
        await backend.store.put("checked", body(data), checksums=wrong)
    assert await read(backend, "checked") == b"old"
    assert backend.pending_uploads() == []


@pytest.mark.parametrize("size", ["small", "multipart"])
async def test_matching_checksums_are_accepted(backend: Backend, size: str) -> None:
    data = os.urandom(10 if size == "small" else backend.part_size + 1)
    md5 = hashlib.md5(data).digest()  # noqa: S324 (Content-MD5 is MD5)
    sha256 = hashlib.sha256(data).digest()
    written = await backend.store.put(
        "checked", body(data), checksums=ExpectedChecksums(md5=md5, sha256=sha256)
    )
    assert written.info.size == len(data)
    info = await backend.store.head("checked")
    known = {"sha256": sha256, "md5": md5}
    native = {"s3-mock": "sha256", "s3-server": "sha256", "gcs": "md5"}.get(backend.name)
    if native and size == "small":  # S3 keeps no whole-object SHA-256 for multipart uploads
        assert native in info.checksums
    for algorithm, value in info.checksums.items():  # whatever a store reports must be right
        if algorithm in known:
            assert value == base64.b64encode(known[algorithm]).decode()


@pytest.mark.parametrize("size", ["empty", "small", "multipart"])
@pytest.mark.parametrize("sent", [False, True], ids=["unknown", "sent"])
async def test_every_write_records_its_sha256(backend: Backend, size: str, sent: bool) -> None:
    """Whatever the size and whether or not the writer sent one, head() and list() report the
    body's SHA-256 (sync compares on it across stores); it never shows up as user metadata."""
    data = os.urandom({"empty": 0, "small": 10, "multipart": backend.part_size + 1}[size])
    digest = hashlib.sha256(data).digest()
    expected = base64.b64encode(digest).decode()
    checksums = ExpectedChecksums(sha256=digest) if sent else None
    # A value a client smuggles in under the reserved name is never what gets recorded.
    metadata = {"owner": "ana", SHA256_METADATA: base64.b64encode(b"x" * 32).decode()}
    written = await backend.store.put("hashed", body(data), metadata=metadata, checksums=checksums)
    assert written.info.checksums["sha256"] == expected
    head = await backend.store.head("hashed")
    assert head.metadata == {"owner": "ana"}
    assert head.checksums["sha256"] == expected
    (listed,) = (await backend.store.list("hashed")).items
    assert SHA256_METADATA not in (listed.metadata or {})
    if not backend.name.startswith("s3"):  # an S3 listing carries neither; sync asks head()
        assert listed.checksums["sha256"] == expected


async def test_metadata_round_trip(backend: Backend) -> None:
    metadata = {"owner": "ana", "purpose": "contract-test"}
    await backend.store.put(
        "meta.json", body(b"{}"), content_type="application/json", metadata=metadata
    )
    head = await backend.store.head("meta.json")
    download = await backend.store.get("meta.json")
    await download.aclose()
    for info in (head, download.info):
        assert info.content_type == "application/json"
        assert info.metadata == metadata


async def test_listing_reports_what_it_knows_or_null(backend: Backend) -> None:
    metadata = {"owner": "ana"}
    await backend.store.put(
        "listed/a.csv", body(b"a,b"), content_type="text/csv", metadata=metadata
    )
    (item,) = (await backend.store.list("listed/")).items
    if backend.name.startswith("s3"):  # ListObjectsV2 carries neither: unknown, not made up
        assert (item.content_type, item.metadata) == (None, None)
    else:
        assert (item.content_type, item.metadata) == ("text/csv", metadata)


@pytest.mark.parametrize("size", ["small", "parts"])
async def test_an_unversioned_store_reports_no_version(backend: Backend, size: str) -> None:
    data = b"v" * (10 if size == "small" else backend.part_size + 1)
    written = await backend.store.put("unversioned", body(data))
    head = await backend.store.head("unversioned")
    for info in (written.info, head):
        assert info.version != "null"  # S3 says "null" after a multipart upload
    if backend.name != "gcs":  # GCS always has a generation
        assert (written.info.version, head.version) == (None, None)


async def test_default_content_type(backend: Backend) -> None:
    await backend.store.put("plain", body(b"x"))
    assert (await backend.store.head("plain")).content_type == "application/octet-stream"


async def collect(
    backend: Backend, prefix: str, delimiter: str | None, limit: int
) -> tuple[list[str], set[str], int]:
    keys: list[str] = []
    prefixes: set[str] = set()
    cursor, pages = None, 0
    while True:
        page = await backend.store.list(prefix, delimiter=delimiter, cursor=cursor, limit=limit)
        pages += 1
        assert len(page.items) <= limit
        keys += [item.key for item in page.items]
        # fake-gcs-server repeats every common prefix on each page, real stores do not.
        prefixes |= set(page.prefixes)
        cursor = page.next_cursor
        if cursor is None:
            return keys, prefixes, pages


LISTED = ["a/1", "a/2", "a/3", "a/4", "a/5", "a/sub/x", "a/sub/y", "b/1", "ab"]


@pytest.fixture
async def listed(backend: Backend) -> Backend:
    for key in LISTED:
        await backend.store.put(key, body(key.encode()))
    return backend


async def test_list_everything_over_pages(listed: Backend) -> None:
    keys, prefixes, pages = await collect(listed, "", None, 2)
    assert keys == sorted(LISTED, key=str.encode)
    assert prefixes == set()
    assert pages >= 3


async def test_list_prefix_and_delimiter(listed: Backend) -> None:
    keys, prefixes, pages = await collect(listed, "a/", "/", 2)
    assert keys == ["a/1", "a/2", "a/3", "a/4", "a/5"]
    assert prefixes == {"a/sub/"}
    assert pages >= 3

    keys, prefixes, _ = await collect(listed, "", "/", 100)
    assert keys == ["ab"]
    assert prefixes == {"a/", "b/"}


async def test_list_items_describe_objects(listed: Backend) -> None:
    page = await listed.store.list("a/sub/", limit=10)
    assert [item.key for item in page.items] == ["a/sub/x", "a/sub/y"]
    head = await listed.store.head("a/sub/x")
    item: ObjectInfo = page.items[0]
    assert (item.size, item.etag) == (head.size, head.etag)
    assert page.next_cursor is None


async def test_list_rejects_a_foreign_cursor(listed: Backend) -> None:
    with pytest.raises(InvalidArgument):
        await listed.store.list("", cursor="not-a-cursor!", limit=2)


async def test_delete_is_idempotent(backend: Backend) -> None:
    await backend.store.delete("never-existed")
    await backend.store.put("doomed", body(b"x"))
    await backend.store.delete("doomed")
    await assert_absent(backend, "doomed")
    await backend.store.delete("doomed")


class ClientWentAway(Exception):
    pass


async def broken_body(size: int) -> AsyncIterator[bytes]:
    async for chunk in body(os.urandom(size), MIB):
        yield chunk
    raise ClientWentAway


async def test_interrupted_upload_leaves_nothing(backend: Backend) -> None:
    with pytest.raises(ClientWentAway):
        await backend.store.put("interrupted", broken_body(backend.part_size * 2 + 1))
    await assert_absent(backend, "interrupted")


async def test_cancelled_upload_leaves_nothing(backend: Backend) -> None:
    """A client that disconnects mid-body cancels the request's task."""
    started = anyio.Event()

    async def endless() -> AsyncIterator[bytes]:
        sent = 0
        while True:
            yield os.urandom(MIB)
            sent += MIB
            if sent > backend.part_size:  # the upload is under way in the store
                started.set()
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as group:
        group.start_soon(backend.store.put, "cancelled", endless())
        await started.wait()
        await anyio.sleep(0.05)
        group.cancel_scope.cancel()
    await assert_absent(backend, "cancelled")


@pytest.mark.parametrize("size", ["small", "multipart"])
async def test_too_large_leaves_nothing(backend: Backend, size: str) -> None:
    # "multipart": the limit is only crossed after the first part went to the store.
    limit = 100 if size == "small" else backend.part_size * 2
    with pytest.raises(TooLarge):
        await backend.store.put("huge", body(os.urandom(limit + 2 * MIB)), max_bytes=limit)
    await assert_absent(backend, "huge")
    written = await backend.store.put("fits", body(b"x" * limit), max_bytes=limit)
    assert written.info.size == limit


async def test_missing_objects(backend: Backend) -> None:
    with pytest.raises(NotFound):
        await backend.store.head("missing")
    with pytest.raises(NotFound):
        await backend.store.get("missing")
    with pytest.raises(NotFound):
        await backend.store.get("missing", byte_range=ByteRange(first=0))


@pytest.mark.parametrize("key", ["", "/lead", "trail/", "a//b", "a/../b", "back\\slash", "x\x00"])
async def test_invalid_keys(backend: Backend, key: str) -> None:
    with pytest.raises(InvalidKey):
        await backend.store.put(key, body(b"x"))
    with pytest.raises(InvalidKey):
        await backend.store.head(key)
    with pytest.raises(InvalidKey):
        await backend.store.delete(key)


async def test_check_passes(backend: Backend) -> None:
    await backend.store.check()
