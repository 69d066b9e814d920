"""sync between every pair of endpoint kinds (directory, local store, S3 on moto over HTTP, GCS on
fake-gcs-server): bodies, content types and metadata arrive; a re-run copies nothing, large
objects included; a changed object is copied; a dry run writes nothing."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest

from service.jobs.sync import Options, sync
from tests.integration.sync_helpers import KINDS, body, make_store, objects

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def read(store: Any, key: str) -> bytes:
    download = await store.get(key)
    try:
        return b"".join([chunk async for chunk in download.chunks])
    finally:
        await download.aclose()


async def keys(store: Any) -> list[str]:
    from service.jobs.sync import listing

    return [info.key async for info in listing(store, "", "DEST")]


@pytest.mark.parametrize(("src_kind", "dst_kind"), list(itertools.product(KINDS, KINDS)))
async def test_pair(
    src_kind: str, dst_kind: str, tmp_path: Path, moto_endpoint: str, gcs_endpoint: str
) -> None:
    source = make_store(src_kind, tmp_path / "src", moto_endpoint, gcs_endpoint)
    target = make_store(dst_kind, tmp_path / "dst", moto_endpoint, gcs_endpoint)
    data = objects()
    for key, (content, content_type, metadata) in data.items():
        await source.put(key, body(content), content_type=content_type, metadata=metadata)
    await target.put("stale.txt", body(b"old"), content_type="text/plain")

    dry = await sync(source, target, Options(dry_run=True, delete=True))
    assert (dry.copied, dry.deleted, dry.failed) == (len(data), 1, 0)
    assert await keys(target) == ["stale.txt"]

    first = await sync(source, target, Options(delete=True))
    assert (first.copied, first.skipped, first.deleted, first.failed) == (len(data), 0, 1, 0)
    assert await keys(target) == sorted(data)
    for key, (content, content_type, metadata) in data.items():
        info = await target.head(key)
        assert (info.content_type, dict(info.metadata)) == (content_type, metadata), key
        assert await read(target, key) == content

    again = await sync(source, target, Options(delete=True))
    assert (again.copied, again.skipped, again.deleted) == (0, len(data), 0)

    changed = "video/big.bin"  # same size, other bytes: only a checksum tells
    await source.put(changed, body(os.urandom(len(data[changed][0]))), content_type="a/b")
    third = await sync(source, target)
    assert (third.copied, third.skipped) == (1, len(data) - 1)
    assert await read(target, changed) == await read(source, changed)
    await source.aclose()
    await target.aclose()
