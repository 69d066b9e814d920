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
from tests.integration.sync_helpers import KINDS, body, make_store, objects, read

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


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


async def test_foreign_gcs_objects_are_verified_by_md5_and_skipped_by_etag(
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str
) -> None:
    """Objects another tool wrote to GCS carry no SHA-256: the copy is checked against their
    MD5, and a re-run to S3 skips them (the single-part ETag is that MD5)."""
    from tests.integration.sync_helpers import gcs_client

    source = make_store("gcs", tmp_path, moto_endpoint, gcs_endpoint)
    target = make_store("s3", tmp_path, moto_endpoint, gcs_endpoint)
    bucket = gcs_client(gcs_endpoint).bucket(source._bucket.name)
    bucket.blob("base/foreign.txt").upload_from_string(b"from elsewhere", content_type="text/x")
    assert "sha256" not in (await source.head("foreign.txt")).checksums

    events: list[Any] = []

    class Listener:
        def found(self, info: Any) -> None:
            pass

        def moved(self, size: int) -> None:
            pass

        def finished(self, event: Any) -> None:
            events.append(event)

    first = await sync(source, target, Options(), Listener())
    assert (first.copied, events[0].verified) == (1, "md5")
    assert (await target.head("foreign.txt")).content_type == "text/x"
    again = await sync(source, target)
    assert (again.copied, again.skipped) == (0, 1)


async def test_a_copy_that_does_not_match_the_source_checksum_is_not_stored(
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str
) -> None:
    """The source's SHA-256 (here a directory's recorded one, deliberately wrong) is what the
    destination checks before the object becomes visible."""
    import base64
    import json

    (tmp_path / "src").mkdir()
    path = tmp_path / "src" / "file.txt"
    path.write_bytes(b"actual bytes")
    stat = path.stat()
    record = {
        "sha256": base64.b64encode(b"\0" * 32).decode(),
        "md5": base64.b64encode(b"\0" * 16).decode(),
        "stamp": f"{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}",
    }
    os.setxattr(path, "user.bucketport", json.dumps(record).encode())
    source = make_store("dir", tmp_path / "src", moto_endpoint, gcs_endpoint, read_only=True)
    for kind in ("local", "s3", "dir"):
        target = make_store(kind, tmp_path / f"dst-{kind}", moto_endpoint, gcs_endpoint)
        report = await sync(source, target)
        assert (report.copied, report.failed) == (0, 1), kind
        assert "checksum" in report.errors[0].lower() or "match" in report.errors[0], kind
        assert await keys(target) == [], kind
