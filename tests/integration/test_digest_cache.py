"""The digest cache of plain source directories: a re-run hashes nothing the first copy hashed
or learnt, a rewritten file is hashed (and copied) again, a dry run writes no cache, a broken
one is off."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from service.jobs import digest_cache
from service.jobs.digest_cache import DigestCache
from service.jobs.directory import DirectoryStore
from service.jobs.sync import sync
from service.storage.threads import Blocking
from tests.integration.sync_helpers import (
    S3_PART,
    cli_env,
    make_store,
    read,
    rewrite_keeping_size_and_mtime,
    run_sync,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test count as settled at once (the cache waits 2 s otherwise)."""
    monkeypatch.setattr(digest_cache, "RACY_NS", 0)


async def test_a_re_run_hashes_nothing_twice_and_a_rewritten_file_again(
    tmp_path: Path,
    moto_endpoint: str,
    gcs_endpoint: str,
    hashed: list[tuple[str, list[str]]],
    settled: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "small.txt").write_bytes(b"single part, ETag is its MD5")
    (root / "big.bin").write_bytes(os.urandom(S3_PART + 1))
    cache = DigestCache.open(tmp_path / "cache" / "digests.sqlite3", writable=True)
    assert cache is not None
    source = DirectoryStore(root, blocking=Blocking(4), read_only=True, digest_cache=cache)
    target = make_store("s3", tmp_path / "s3", moto_endpoint, gcs_endpoint)
    # The first copy hashes each file's SHA-256 to check the copy; S3's answer for the small
    # one (one part) gives its MD5, which the next run compares with the ETag.
    assert (await sync(source, target)).copied == 2
    assert sorted(hashed) == [("big.bin", ["sha256"]), ("small.txt", ["sha256"])]

    hashed.clear()
    heads: list[str] = []
    real_head = source._head

    def counted_head(key: str, algorithms: tuple[str, ...]) -> Any:
        heads.append(key)
        return real_head(key, algorithms)

    monkeypatch.setattr(source, "_head", counted_head)
    again = await sync(source, target)
    assert (again.copied, again.skipped) == (0, 2)
    assert hashed == []
    assert heads == []  # the listing brought the cached digests: no trip back per file

    changed = rewrite_keeping_size_and_mtime(root / "small.txt")  # its ctime moves on
    third = await sync(source, target)
    assert (third.copied, third.skipped) == (1, 1)
    assert hashed == [("small.txt", ["md5"]), ("small.txt", ["sha256"])]
    assert await read(target, "small.txt") == changed
    cache.close()
    await target.aclose()


def test_a_file_changed_just_now_is_not_remembered(tmp_path: Path) -> None:
    cache = DigestCache.open(tmp_path / "digests.sqlite3", writable=True)
    assert cache is not None
    path = tmp_path / "fresh"
    path.write_bytes(b"still being written, maybe")
    cache.put(path.stat(), {"sha256": "x"})
    assert cache.get(path.stat()) == {}
    old = path.stat().st_mtime_ns - 10**10
    os.utime(path, ns=(old, old))  # an old mtime, but the ctime is now: still not settled
    cache.put(path.stat(), {"sha256": "x"})
    assert cache.get(path.stat()) == {}


def test_a_read_only_cache_creates_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digest_cache, "RACY_NS", 0)
    path = tmp_path / "cache" / "digests.sqlite3"
    assert DigestCache.open(path, writable=False) is None
    assert not (tmp_path / "cache").exists()
    file = tmp_path / "file"
    file.write_bytes(b"x")
    writable = DigestCache.open(path, writable=True)
    assert writable is not None
    writable.put(file.stat(), {"sha256": "s"})
    writable.vouch("other", "wrong")  # another body's MD5: not this file's
    writable.flush()
    assert writable.get(file.stat()) == {"sha256": "s"}
    writable.close()
    reader = DigestCache.open(path, writable=False)
    assert reader is not None
    assert reader.get(file.stat()) == {"sha256": "s"}
    reader.put(file.stat(), {"sha256": "s", "md5": "m"})
    reader.vouch("s", "m")
    assert reader.get(file.stat()) == {"sha256": "s"}
    reader.close()
    again = DigestCache.open(path, writable=True)
    assert again is not None
    assert again.vouch("s", "m") is False  # queued; not yet due
    again.flush()
    assert again.get(file.stat()) == {"sha256": "s", "md5": "m"}
    again.close()


def test_writes_wait_and_reach_the_file_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digest_cache, "RACY_NS", 0)
    monkeypatch.setattr(digest_cache, "FLUSH_EVERY", 3)
    path = tmp_path / "digests.sqlite3"
    files = []
    for name in "abc":
        (tmp_path / name).write_bytes(name.encode())
        files.append((tmp_path / name).stat())
    cache = DigestCache.open(path, writable=True)
    assert cache is not None

    def in_the_file() -> list[tuple[str, str | None]]:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT sha256, md5 FROM digests ORDER BY sha256").fetchall()

    cache.put(files[0], {"sha256": "a"})
    assert cache.vouch("a", "ma") is False
    assert in_the_file() == []  # queued, not written
    cache.put(files[1], {"sha256": "b"})  # the third write: all three go, in their order
    assert in_the_file() == [("a", "ma"), ("b", None)]
    cache.put(files[2], {"sha256": "c"})
    cache.close()  # writes what is left
    assert in_the_file() == [("a", "ma"), ("b", None), ("c", None)]


@pytest.mark.parametrize("kind", ["parent is a file", "not a database"])
def test_an_unusable_cache_is_off_and_the_sync_goes_on(
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str, kind: str
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(b"a")
    (tmp_path / "blocker").write_bytes(b"")
    path = tmp_path / "blocker" / "digests.sqlite3"
    if kind == "not a database":
        path = tmp_path / "garbage.sqlite3"
        path.write_bytes(os.urandom(4096))
    assert DigestCache.open(path, writable=True) is None
    result = run_sync(
        str(tmp_path / "src"),
        str(tmp_path / "dst"),
        "--digest-cache",
        str(path),
        env=cli_env(moto_endpoint, gcs_endpoint),
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dst" / "a.txt").read_bytes() == b"a"


def test_the_command_keeps_its_cache_where_told_and_none_when_told(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"a")
    cache = tmp_path / "here" / "digests.sqlite3"
    env = os.environ | {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    run = run_sync(str(src), str(tmp_path / "one"), "--digest-cache", str(cache), env=env)
    assert run.returncode == 0, run.stderr
    with sqlite3.connect(cache) as db:
        assert db.execute("SELECT count(*) FROM digests").fetchone() is not None
    assert not (tmp_path / "xdg").exists()
    off = run_sync(str(src), str(tmp_path / "two"), "--no-digest-cache", env=env)
    assert off.returncode == 0, off.stderr
    assert not (tmp_path / "xdg").exists()
    default = run_sync(str(src), str(tmp_path / "three"), env=env)
    assert default.returncode == 0, default.stderr
    assert (tmp_path / "xdg" / "bucketport" / "digests.sqlite3").is_file()
