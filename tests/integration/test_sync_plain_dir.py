"""A plain directory (files no sync wrote: no recorded checksums) against S3 on moto, the
benchmark's case: a re-run reads each file once, for the one digest the other side can match,
and a file changed in place is copied even with the same size and mtime."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from service.jobs import directory
from service.jobs.directory import DirectoryStore
from service.jobs.sync import sync
from service.storage.threads import Blocking
from tests.integration.sync_helpers import S3_PART, make_store

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def rewrite_keeping_size_and_mtime(path: Path) -> bytes:
    stat = path.stat()
    data = os.urandom(stat.st_size)
    path.write_bytes(data)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return data


async def read(store: Any, key: str) -> bytes:
    download = await store.get(key)
    try:
        return b"".join([chunk async for chunk in download.chunks])
    finally:
        await download.aclose()


async def test_re_run_hashes_only_what_s3_can_match_and_copies_changes(
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "small.txt").write_bytes(b"single part, ETag is its MD5")
    (root / "big.bin").write_bytes(os.urandom(S3_PART + 1))  # multipart: ETag "…-2"
    source = DirectoryStore(root, blocking=Blocking(4), read_only=True)
    target = make_store("s3", tmp_path / "s3", moto_endpoint, gcs_endpoint)
    assert (await sync(source, target)).copied == 2

    hashed: list[tuple[str, list[str]]] = []
    real = directory._digests_of

    def spy(path: Path, *args: Any, **kwargs: Any) -> dict[str, str]:
        digests = real(path, *args, **kwargs)
        hashed.append((path.name, sorted(digests)))
        return digests

    monkeypatch.setattr(directory, "_digests_of", spy)
    again = await sync(source, target)
    assert (again.copied, again.skipped, again.failed) == (0, 2, 0)
    # MD5 against the single-part ETag; the SHA-256 the service recorded for the multipart one
    assert sorted(hashed) == [("big.bin", ["sha256"]), ("small.txt", ["md5"])]

    changed = {
        name: rewrite_keeping_size_and_mtime(root / name) for name in ("small.txt", "big.bin")
    }
    third = await sync(source, target)
    assert (third.copied, third.skipped, third.failed) == (2, 0, 0)
    for name, data in changed.items():
        assert await read(target, name) == data
    await target.aclose()


async def test_a_plain_target_directory_hashes_only_the_md5_an_etag_needs(
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3 -> files another tool put there: same bytes skip on the MD5 alone, other bytes of the
    same size and mtime are copied."""
    source = make_store("s3", tmp_path / "s3", moto_endpoint, gcs_endpoint)
    root = tmp_path / "plain"
    root.mkdir()
    for name, data in (("same.txt", b"identical"), ("other.txt", b"differs!!")):
        (root / name).write_bytes(data)

        async def body(data: bytes = data) -> Any:
            yield data

        await source.put(name, body())
    rewrite_keeping_size_and_mtime(root / "other.txt")
    hashed: list[tuple[str, list[str]]] = []
    real = directory._digests_of

    def spy(path: Path, *args: Any, **kwargs: Any) -> dict[str, str]:
        digests = real(path, *args, **kwargs)
        hashed.append((path.name, sorted(digests)))
        return digests

    monkeypatch.setattr(directory, "_digests_of", spy)
    target = DirectoryStore(root, blocking=Blocking(4), read_only=False)
    report = await sync(source, target)
    assert (report.copied, report.skipped, report.failed) == (1, 1, 0)
    assert ("same.txt", ["md5"]) in hashed
    assert (root / "other.txt").read_bytes() == b"differs!!"
    await source.aclose()
