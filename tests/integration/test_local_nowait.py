"""Small GETs of the local store served from the event loop, and the way back to the thread
pool whenever the kernel would have to wait for the disk (service/storage/nowait.py).

The kernel's answers that cannot be provoked on demand (EAGAIN from preadv2 with RWF_NOWAIT
or from openat2 with RESOLVE_CACHED, a short read, a kernel without openat2) are made by
patching the calls the store makes; the files and everything else are real.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar, TypeVarTuple, Unpack

import anyio
import pytest

from service.api.headers import parse_range, read_conditions
from service.storage.base import (
    InvalidRange,
    NotFound,
    NotModified,
    PreconditionFailed,
    ReadConditions,
)
from service.storage.local import INLINE_MAX_BYTES, LocalStore
from service.storage.threads import Blocking

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
BODY = bytes(range(256)) * 4  # 1 KiB


class CountingPool(Blocking):
    """The store's thread pool, counting the calls that reached it."""

    def __init__(self) -> None:
        super().__init__(2)
        self.calls = 0

    async def run(self, func: Callable[[Unpack[Ts]], T], *args: *Ts, abandon: bool = False) -> T:
        self.calls += 1
        return await super().run(func, *args, abandon=abandon)


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
def pool() -> CountingPool:
    return CountingPool()


@pytest.fixture
def store(tmp_path: Path, pool: CountingPool) -> LocalStore:
    store = LocalStore(tmp_path, blocking=pool, presign_secret=b"k" * 32)
    anyio.run(lambda: store.put("dir/small.bin", one(BODY)))
    anyio.run(lambda: store.put("big.bin", one(os.urandom(INLINE_MAX_BYTES))))
    pool.calls = 0
    return store


def get(
    store: LocalStore, key: str, range_: str | None = None, **conditions: Any
) -> tuple[bytes, tuple[int, int] | None, str]:
    async def scenario() -> tuple[bytes, tuple[int, int] | None, str]:
        cond: ReadConditions = read_conditions(**conditions)
        download = await store.get(key, byte_range=parse_range(range_), conditions=cond)
        body = b"".join([chunk async for chunk in download.chunks])
        await download.aclose()
        return body, download.content_range, download.info.etag

    return anyio.run(scenario)


def test_a_cached_small_object_is_served_without_the_thread_pool(
    store: LocalStore, pool: CountingPool
) -> None:
    body, span, etag = get(store, "dir/small.bin")
    assert body == BODY
    assert span is None
    assert get(store, "dir/small.bin", "bytes=10-19")[:2] == (BODY[10:20], (10, 19))
    assert get(store, "dir/small.bin", "bytes=-5")[:2] == (BODY[-5:], (1019, 1023))
    with pytest.raises(NotModified):
        get(store, "dir/small.bin", if_none_match=f'"{etag}"')
    with pytest.raises(PreconditionFailed):
        get(store, "dir/small.bin", if_match='"other"')
    with pytest.raises(InvalidRange):
        get(store, "dir/small.bin", "bytes=5000-")
    assert pool.calls == 0
    for _ in range(2):
        # The first lookup of a name never seen may need the disk (no negative dentry yet):
        # the pool answers it; the kernel then remembers the absence and the loop answers.
        pool.calls = 0
        for key in ("dir/absent.bin", "absent/small.bin"):
            with pytest.raises(NotFound):
                get(store, key)
    assert pool.calls == 0


def test_a_read_the_page_cache_cannot_answer_goes_to_the_thread_pool(
    store: LocalStore, pool: CountingPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []

    def not_cached(fd: int, buffers: list[bytearray], offset: int, flags: int = 0) -> int:
        asked.append(flags)
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "preadv", not_cached)
    assert get(store, "dir/small.bin", "bytes=1-3")[:2] == (BODY[1:4], (1, 3))
    assert asked == [os.RWF_NOWAIT]  # the loop asked without waiting, then handed over
    assert pool.calls == 1
    assert get(store, "dir/small.bin")[0] == BODY  # EAGAIN is no reason to stop trying
    assert asked == [os.RWF_NOWAIT] * 2


def test_a_short_read_from_the_page_cache_goes_to_the_thread_pool(
    store: LocalStore, pool: CountingPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.preadv

    def partly_cached(fd: int, buffers: list[bytearray], offset: int, flags: int = 0) -> int:
        return real(fd, [memoryview(buffers[0])[:100]], offset, flags)

    monkeypatch.setattr(os, "preadv", partly_cached)
    assert get(store, "dir/small.bin")[0] == BODY
    assert pool.calls == 1


def fail_openat2(err: int) -> Callable[..., int]:
    def syscall(*args: Any) -> int:
        ctypes.set_errno(err)
        return -1

    return syscall


def test_a_path_missing_from_the_dentry_cache_goes_to_the_thread_pool(
    store: LocalStore, pool: CountingPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # openat2 with RESOLVE_CACHED answers EAGAIN when the lookup would read a directory.
    monkeypatch.setattr(store._nowait, "_syscall", fail_openat2(errno.EAGAIN))
    assert get(store, "dir/small.bin")[0] == BODY
    assert pool.calls == 1
    assert store._nowait.available


def test_without_openat2_every_read_takes_the_thread_pool(
    store: LocalStore, pool: CountingPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An old kernel, or a seccomp profile that refuses the call.
    monkeypatch.setattr(store._nowait, "_syscall", fail_openat2(errno.ENOSYS))
    assert get(store, "dir/small.bin")[0] == BODY
    assert not store._nowait.available
    assert get(store, "dir/small.bin")[0] == BODY
    assert pool.calls == 2


def test_large_objects_are_read_in_the_thread_pool(store: LocalStore, pool: CountingPool) -> None:
    assert len(get(store, "big.bin")[0]) == INLINE_MAX_BYTES
    assert pool.calls >= 1


def test_symlinks_and_fifos_stay_absent_on_the_inline_path(
    store: LocalStore, pool: CountingPool, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.o").write_bytes(b"not an object")
    objects = tmp_path / "objects"
    (objects / "link.d").symlink_to(outside)
    (objects / "dir.d" / "alias.o").symlink_to(objects / "dir.d" / "small.o")
    os.mkfifo(objects / "dir.d" / "fifo.o")
    (objects / "file.d").write_bytes(b"a file where a directory should be")
    for key in ("link/secret", "dir/alias", "dir/fifo"):
        with pytest.raises(NotFound):
            get(store, key)
    assert pool.calls == 0
    # A file in the way: openat2 with RESOLVE_CACHED says EAGAIN, the pool's walk says absent.
    with pytest.raises(NotFound):
        get(store, "file/x")
