"""Trips to the thread pool per object on the benchmark's path (a plain directory to S3 and
back): each costs a hand-off between threads, which on a small object is most of its CPU. A
file or object of one piece is read whole (and hashed, where that is needed) in the trip that
opens it, and written or sent in one more."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path

import pytest

from service.jobs.directory import DirectoryStore
from service.jobs.sync import sync
from service.storage.base import CHUNK_SIZE, NotFound
from service.storage.remote import b64
from service.storage.threads import Blocking
from tests.fixtures.blocking import CountingBlocking
from tests.integration.sync_helpers import make_store, read

pytestmark = pytest.mark.anyio

SMALL = 10


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_small_object_costs_one_trip_on_each_side(
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str
) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    for n in range(SMALL):
        (root / f"{n}.txt").write_bytes(f"file {n}".encode())
    directory, bucket = CountingBlocking(), CountingBlocking()
    source = DirectoryStore(root, blocking=directory, read_only=True)
    target = make_store("s3", tmp_path, moto_endpoint, gcs_endpoint, blocking=bucket)
    assert (await sync(source, target)).copied == SMALL
    # One listing each; then per file: open, read and hash it / hash and send it.
    assert (directory.trips, bucket.trips) == (1 + SMALL, 1 + SMALL)

    back = tmp_path / "back"
    directory.calls.clear()
    bucket.calls.clear()
    destination = DirectoryStore(back, blocking=directory, read_only=False)
    assert (await sync(target, destination)).copied == SMALL
    # Per object: fetch it with its body / write, check and rename it.
    assert (bucket.trips, directory.trips) == (1 + SMALL, 1 + SMALL)
    assert (back / "3.txt").read_bytes() == b"file 3"
    await target.aclose()


async def test_a_large_object_still_streams_in_pieces(
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str
) -> None:
    data = os.urandom(2 * CHUNK_SIZE + 1)
    (tmp_path / "big.bin").write_bytes(data)
    blocking = CountingBlocking()
    target = make_store("s3", tmp_path / "s3", moto_endpoint, gcs_endpoint, blocking=blocking)
    source = DirectoryStore(tmp_path, blocking=CountingBlocking(), read_only=True)
    assert (await sync(source, target)).copied == 1
    blocking.calls.clear()
    download = await target.get("big.bin")
    pieces = [piece async for piece in download.chunks]
    assert [len(piece) for piece in pieces] == [CHUNK_SIZE, CHUNK_SIZE, 1]
    assert b"".join(pieces) == data
    assert blocking.trips == 1 + 3  # GetObject, then one read per piece (the last to its end)
    assert await read(target, "big.bin") == data
    await target.aclose()


@pytest.mark.parametrize("size", [0, 10, CHUNK_SIZE, 3 * CHUNK_SIZE + 7])
async def test_a_file_is_hashed_from_the_bytes_it_sends(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    (tmp_path / "f").write_bytes(data)
    blocking = CountingBlocking()
    store = DirectoryStore(tmp_path, blocking=blocking, read_only=True)
    download = await store.get("f", algorithms=("sha256", "md5"))
    assert download.info.checksums == {
        "sha256": b64(hashlib.sha256(data).digest()),
        "md5": b64(hashlib.md5(data).digest()),  # noqa: S324 (a checksum, not security)
    }
    assert b"".join([piece async for piece in download.chunks]) == data
    pieces = size // CHUNK_SIZE + 1  # full pieces, then the read that finds the end
    assert blocking.trips == (1 if size < CHUNK_SIZE else pieces)


async def test_a_symlink_or_a_fifo_is_no_file_to_read(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"secret")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    os.mkfifo(tmp_path / "fifo")  # an open for reading would wait for a writer
    store = DirectoryStore(tmp_path, blocking=Blocking(2), read_only=True)
    for name in ("link", "fifo", "missing"):
        with pytest.raises(NotFound):
            await store.get(name)
    assert Counter(info.key for info in store.walk()) == {"real": 1}
