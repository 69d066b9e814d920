"""Helpers the cloud adapters share: part splitting, cursors, the base prefix."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import anyio
import pytest

from service.storage.base import (
    CHUNK_SIZE,
    BackendUnavailable,
    InvalidArgument,
    StorageError,
    TooLarge,
)
from service.storage.remote import (
    BodyStream,
    Namespace,
    decode_cursor,
    encode_cursor,
    parts,
    send_overlapped,
)
from tests.fixtures.blocking import CountingBlocking

pytestmark = pytest.mark.anyio
MIB = 1024 * 1024


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def pieces(*sizes: int) -> AsyncIterator[bytes]:
    for size in sizes:
        yield b"x" * size


async def split(part_size: int, *sizes: int) -> list[tuple[int, bool]]:
    return [(len(part), last) async for part, last in parts(pieces(*sizes), part_size, None)]


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ((), [(0, True)]),
        ((1,), [(1, True)]),
        ((4 * MIB,), [(4 * MIB, True)]),  # exactly one part: one request, no multipart
        ((4 * MIB + 1,), [(4 * MIB, False), (1, True)]),
        ((3 * MIB, 5 * MIB), [(4 * MIB, False), (4 * MIB, True)]),
        ((9 * MIB,), [(4 * MIB, False), (4 * MIB, False), (MIB, True)]),
    ],
)
async def test_parts_know_which_is_last(sizes: tuple[int, ...], expected: list[object]) -> None:
    assert await split(4 * MIB, *sizes) == expected


async def test_parts_of_a_size_that_is_no_multiple_of_a_chunk() -> None:
    part = 5 * MIB + 3
    assert await split(part, 11 * MIB) == [
        (part, False),
        (part, False),
        (11 * MIB - 2 * part, True),
    ]


async def test_parts_stop_at_the_limit_before_reading_on() -> None:
    read = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal read
        while True:
            read += MIB
            yield b"x" * MIB

    with pytest.raises(TooLarge):
        async for _ in parts(endless(), 4 * MIB, 6 * MIB):
            pass
    assert read == 7 * MIB


def test_cursor_round_trip_and_binding() -> None:
    cursor = encode_cursor("token/ü", "a/", "/")
    assert decode_cursor(cursor, "a/", "/") == "token/ü"
    with pytest.raises(InvalidArgument):
        decode_cursor(cursor, "b/", "/")
    with pytest.raises(InvalidArgument):
        decode_cursor(cursor, "a/", None)
    for junk in ("", "!!!", "bm90IGpzb24", encode_cursor("t", "a/", "/")[:-3]):
        with pytest.raises(InvalidArgument):
            decode_cursor(junk, "a/", "/")


def test_namespace_hides_the_base_prefix() -> None:
    space = Namespace("/base/dir/")
    assert space.name("k/x") == "base/dir/k/x"
    assert space.prefix("") == "base/dir/"
    assert space.key("base/dir/k/x") == "k/x"
    assert space.key("base/dir/folder/") is None  # a console's folder placeholder
    assert space.key("base/other") is None
    assert space.common_prefix("base/dir/k/") == "k/"
    assert Namespace("").name("k") == "k"


async def test_send_overlapped_overlaps_reading_and_sending() -> None:
    events: list[str] = []
    release, second_read = anyio.Event(), anyio.Event()

    async def produce() -> AsyncGenerator[int, None]:
        for number in range(3):
            events.append(f"read {number}")
            if number == 1:
                second_read.set()
            yield number

    async def send(number: int) -> None:
        events.append(f"send {number}")
        if number == 0:
            await release.wait()  # the next piece is read meanwhile
        events.append(f"sent {number}")

    async with anyio.create_task_group() as group:
        group.start_soon(send_overlapped, produce(), send)
        await second_read.wait()
        assert "sent 0" not in events
        release.set()
    assert [event for event in events if event.startswith("sent")] == ["sent 0", "sent 1", "sent 2"]
    assert events.index("read 1") < events.index("sent 0")
    assert events.index("sent 0") < events.index("send 1")  # one send at a time


@pytest.mark.parametrize("where", ["reading", "sending"])
async def test_send_overlapped_raises_the_error_itself(where: str) -> None:
    async def produce() -> AsyncGenerator[int, None]:
        yield 1
        if where == "reading":
            raise TooLarge("read")
        yield 2

    async def send(number: int) -> None:
        if where == "sending" and number == 1:
            raise InvalidArgument("sent")

    with pytest.raises(TooLarge if where == "reading" else InvalidArgument):
        await send_overlapped(produce(), send)


def reader(*results: bytes | Exception) -> tuple[Any, list[int]]:
    """A body's read(n): returns (or raises) `results` in turn, then b""; counts the calls."""
    calls: list[int] = []
    pending = list(results)

    def read(size: int) -> bytes:
        calls.append(size)
        result = pending.pop(0) if pending else b""
        if isinstance(result, Exception):
            raise result
        return result

    return read, calls


def failed(exc: Exception) -> StorageError:
    return BackendUnavailable(f"read failed: {exc}")


async def test_a_body_of_one_short_piece_is_read_to_its_end_in_one_trip() -> None:
    blocking = CountingBlocking()
    read, calls = reader(b"small")
    closed: list[bool] = []
    body = BodyStream(read, lambda: closed.append(True), blocking, failed)
    assert [piece async for piece in body] == [b"small"]
    assert (blocking.trips, len(calls), closed) == (1, 2, [True])


async def test_whole_pieces_and_a_short_read_before_the_end_go_on_as_before() -> None:
    blocking = CountingBlocking()
    whole = b"x" * CHUNK_SIZE
    read, calls = reader(whole, b"short", b"then more", b"end")
    body = BodyStream(read, lambda: None, blocking, failed)
    assert [piece async for piece in body] == [whole, b"shortthen more", b"end"]
    assert len(calls) == 5  # the last short piece's confirming read ends it
    assert blocking.trips == 3


async def test_an_error_at_the_end_of_the_body_is_raised_not_its_last_piece() -> None:
    """The SDK checks length and checksum on the read that sees the end: with that read in the
    same trip, a body that fails the check hands on none of its last piece."""
    read, _ = reader(b"tail", ValueError("checksum mismatch"))
    body = BodyStream(read, lambda: None, CountingBlocking(), failed)
    with pytest.raises(BackendUnavailable, match="checksum mismatch"):
        await anext(body)
