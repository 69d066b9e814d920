"""The local store's write path: batches of received pieces, written by writev in the pool."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import anyio.to_thread
import pytest

from service.storage import local
from service.storage.base import TooLarge
from service.storage.local import LocalStore
from service.storage.threads import Blocking
from service.storage.transfer import MAX_PIECES, batches, rechunk

pytestmark = pytest.mark.anyio
KIB = 1024


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def body(pieces: Sequence[bytes], then: BaseException | None = None) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece
    if then is not None:
        raise then


async def test_batches_hand_on_the_received_pieces_themselves() -> None:
    pieces = [os.urandom(300 * KIB) for _ in range(7)] + [b"", b"tail"]
    got = [batch async for batch in batches(body(pieces), 1024 * KIB)]
    assert [len(batch) for batch in got] == [4, 4]  # >= 1 MiB a batch; the rest, with the tail
    flat = [piece for batch in got for piece in batch]
    sent = [piece for piece in pieces if piece]
    assert flat == sent
    assert all(a is b for a, b in zip(flat, sent, strict=True))  # not copied


async def test_batches_of_tiny_pieces_stop_at_max_pieces() -> None:
    got = [len(batch) async for batch in batches(body([b"x"] * (MAX_PIECES + 5)), 1024 * KIB)]
    assert got == [MAX_PIECES, 5]


async def test_batches_refuse_an_oversized_body_before_reading_the_rest() -> None:
    read: list[int] = []

    async def counted() -> AsyncIterator[bytes]:
        for index in range(10):
            read.append(index)
            yield b"x" * KIB

    with pytest.raises(TooLarge):
        async for _ in batches(counted(), 1024 * KIB, max_bytes=3 * KIB):
            pass
    assert read == [0, 1, 2, 3]


def test_write_all_finishes_short_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.writev

    def short(fd: int, buffers: Sequence[bytes]) -> int:
        return real(fd, [memoryview(buffers[0])[:3]])  # the kernel may write less than asked

    monkeypatch.setattr(os, "writev", short)
    fd = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        local._write_all(fd, [b"hello ", b"", b"writev", b"!"])
    finally:
        os.close(fd)
    assert (tmp_path / "out").read_bytes() == b"hello writev!"


async def test_failed_body_waits_for_the_write_in_flight_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop receives while a thread writes: when the body fails meanwhile, the temp file
    is removed only after that write finished (never closed under a writing thread)."""
    store = LocalStore(tmp_path, blocking=Blocking(2), presign_secret=b"k" * 32)
    real = os.writev
    writing = threading.Event()
    results: list[int | OSError] = []

    def slow(fd: int, buffers: Sequence[bytes]) -> int:
        writing.set()
        time.sleep(0.3)
        try:
            results.append(real(fd, buffers))
        except OSError as exc:
            results.append(exc)
            raise
        return results[-1]  # type: ignore[return-value]

    async def failing() -> AsyncIterator[bytes]:
        yield b"x" * (1024 * KIB)  # one whole batch, handed to the thread
        await anyio.to_thread.run_sync(writing.wait)  # the batch is in the thread by now
        raise ConnectionResetError("the client went away")

    monkeypatch.setattr(os, "writev", slow)
    with pytest.raises(ConnectionResetError):
        await store.put("a/b", failing())
    assert results == [1024 * KIB]  # the write in flight completed on an open file
    assert list((tmp_path / "tmp").iterdir()) == []
    assert list((tmp_path / "objects").iterdir()) == []


@pytest.mark.parametrize(
    "sizes",
    [[1024], [1024, 1024, 10], [10, 1024, 1024], [3000], [1, 2, 1021, 1024, 0, 5], []],
    ids=["one-whole", "whole-then-tail", "offset", "large", "small-pieces", "empty"],
)
async def test_rechunk_gives_whole_pieces_and_passes_whole_ones_on_uncopied(
    sizes: list[int],
) -> None:
    pieces = [os.urandom(size) for size in sizes]
    got = [piece async for piece in rechunk(body(pieces), 1024)]
    assert b"".join(got) == b"".join(pieces)
    assert all(len(piece) == 1024 for piece in got[:-1])
    assert 0 < len(got[-1]) <= 1024 if got else not b"".join(pieces)
    whole = [p for p in pieces if len(p) == 1024]
    if sizes[:1] == [1024]:  # the buffer was empty when it came: the same object goes on
        assert got[0] is whole[0]
