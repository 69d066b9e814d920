"""`python -m service sync`: copies, skips what is identical, mirrors deletes, splits by shard."""

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from service.jobs.sync import Shard, sync
from service.storage.base import ObjectStore
from service.storage.local import LocalStore
from service.storage.threads import Blocking
from tests.fixtures.service import REPO


def local(root: Path) -> LocalStore:
    return LocalStore(root, blocking=Blocking(4), presign_secret=b"k" * 32)


async def body(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def fill(store: ObjectStore, objects: dict[str, bytes]) -> None:
    for key, data in objects.items():
        await store.put(key, body(data), content_type="text/plain", metadata={"origin": key})


async def contents(store: LocalStore) -> dict[str, bytes]:
    page = await store.list(limit=1000)
    result = {}
    for info in page.items:
        download = await store.get(info.key)
        result[info.key] = b"".join([chunk async for chunk in download.chunks])
    return result


def test_copy_skip_delete_and_dry_run(tmp_path: Path) -> None:
    async def scenario() -> None:
        source, target = local(tmp_path / "src"), local(tmp_path / "dst")
        await fill(source, {"a/1": b"one", "a/2": b"two", "b": b"bee"})
        await fill(target, {"stale": b"old", "b": b"different"})

        dry = await sync(source, target, dry_run=True, delete=True)
        assert (dry.copied, dry.deleted) == (3, 1)
        assert await contents(target) == {"b": b"different", "stale": b"old"}

        first = await sync(source, target)
        assert (first.copied, first.skipped, first.deleted, first.failed) == (3, 0, 0, 0)
        copied = await target.head("a/1")
        assert copied.content_type == "text/plain"
        assert copied.metadata == {"origin": "a/1"}

        second = await sync(source, target, delete=True)
        assert (second.copied, second.skipped, second.deleted) == (0, 3, 1)
        assert await contents(target) == await contents(source)

    asyncio.run(scenario())


def test_shards_partition_the_keys(tmp_path: Path) -> None:
    async def scenario() -> None:
        source = local(tmp_path / "src")
        await fill(source, {f"k{i}": b"x" for i in range(40)})
        counts = []
        for index in range(3):
            report = await sync(source, local(tmp_path / f"dst{index}"), shard=Shard(index, 3))
            counts.append(report.copied)
        assert sum(counts) == 40
        assert all(count > 0 for count in counts)

    asyncio.run(scenario())


@pytest.mark.parametrize("text", ["3/3", "-1/2", "x/2", "1"])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (int() and our own check both raise it)
        Shard.parse(text)


def test_cli_prints_a_json_summary(tmp_path: Path) -> None:
    asyncio.run(fill(local(tmp_path / "src"), {"x": b"1", "y": b"2"}))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "service",
            "sync",
            f"file://{tmp_path / 'src'}",
            f"file://{tmp_path / 'dst'}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["copied"] == 2
    progress = [json.loads(line) for line in result.stderr.splitlines()]
    assert {line["key"] for line in progress} == {"x", "y"}
    assert all(line["action"] == "copy" for line in progress)
