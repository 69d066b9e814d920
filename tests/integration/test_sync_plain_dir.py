"""A plain directory (files no sync wrote: no recorded checksums) against S3 on moto, the
benchmark's case: a re-run reads each file once, for the one digest the other side can match,
and a file changed in place is copied even with the same size and mtime."""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from service.jobs import directory
from service.jobs.directory import DirectoryStore
from service.jobs.sync import sync
from service.storage.base import ChecksumMismatch, ExpectedChecksums
from service.storage.s3 import S3Store
from service.storage.threads import Blocking
from tests.fixtures.blocking import CountingBlocking
from tests.fixtures.cloud import aws_env
from tests.integration.sync_helpers import (
    S3_PART,
    body,
    make_store,
    read,
    rewrite_keeping_size_and_mtime,
    s3_bucket,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_re_run_hashes_only_what_s3_can_match_and_copies_changes(
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str, hashed: list[tuple[str, list[str]]]
) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "small.txt").write_bytes(b"single part, ETag is its MD5")
    (root / "big.bin").write_bytes(os.urandom(S3_PART + 1))  # multipart: ETag "…-2"
    source = DirectoryStore(root, blocking=Blocking(4), read_only=True)
    target = make_store("s3", tmp_path / "s3", moto_endpoint, gcs_endpoint)
    assert (await sync(source, target)).copied == 2

    hashed.clear()  # the first copy's hashing is not the question
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
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str, hashed: list[tuple[str, list[str]]]
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
    target = DirectoryStore(root, blocking=Blocking(4), read_only=False)
    report = await sync(source, target)
    assert (report.copied, report.skipped, report.failed) == (1, 1, 0)
    assert ("same.txt", ["md5"]) in hashed
    assert (root / "other.txt").read_bytes() == b"differs!!"
    await source.aclose()


def record(path: Path) -> dict[str, Any]:
    return dict(json.loads(os.getxattr(path, directory.XATTR)))


def b64_digest(name: str, data: bytes) -> str:
    return base64.b64encode(hashlib.new(name, data).digest()).decode()


async def test_a_download_records_the_md5_s3_vouches_for_and_a_re_run_hashes_nothing(
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str, hashed: list[tuple[str, list[str]]]
) -> None:
    """S3 -> directory: the single-part object's MD5 is its ETag, recorded once the SHA-256
    matched; the multipart one has no MD5 to take, so none is recorded. A later comparison that
    needs it (directory -> objects another tool wrote) computes it, and skips equal bytes."""
    source = make_store("s3", tmp_path / "s3", moto_endpoint, gcs_endpoint)
    data = {"small.txt": b"single part", "big.bin": os.urandom(S3_PART + 1)}
    for name, content in data.items():  # with its SHA-256 the big one stays multipart: "…-2"
        sha256 = hashlib.sha256(content).digest()
        await source.put(name, body(content), checksums=ExpectedChecksums(sha256=sha256))
    root = tmp_path / "down"
    target = DirectoryStore(root, blocking=Blocking(4), read_only=False)
    assert (await sync(source, target)).copied == 2
    small, big = record(root / "small.txt"), record(root / "big.bin")
    assert small["md5"] == b64_digest("md5", data["small.txt"])
    assert small["sha256"] == b64_digest("sha256", data["small.txt"])
    assert "md5" not in big
    assert big["sha256"] == b64_digest("sha256", data["big.bin"])

    hashed.clear()
    again = await sync(source, target)
    assert (again.copied, again.skipped) == (0, 2)
    assert hashed == []

    # Objects another tool put in one part each: the ETag, an MD5, is all there is to compare.
    bucket = s3_bucket(moto_endpoint)
    with aws_env():
        client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
        client.put_object(Bucket=bucket, Key="big.bin", Body=data["big.bin"])
        client.put_object(Bucket=bucket, Key="small.txt", Body=b"x" * len(data["small.txt"]))
        onward = S3Store(
            bucket, blocking=Blocking(4), endpoint_url=moto_endpoint, addressing_style="path"
        )
    plain = DirectoryStore(root, blocking=Blocking(4), read_only=True)
    report = await sync(plain, onward)
    assert (report.copied, report.skipped, report.failed) == (1, 1, 0)
    assert hashed == [("big.bin", ["md5"])]
    assert await read(onward, "small.txt") == data["small.txt"]
    for store in (source, onward):
        await store.aclose()


async def test_an_md5_is_recorded_only_when_a_checked_sha256_vouches_for_it(
    tmp_path: Path,
) -> None:
    store = DirectoryStore(tmp_path, blocking=Blocking(2), read_only=False)
    content = b"the same bytes"
    sha256 = hashlib.sha256(content).digest()
    lie = b64_digest("md5", b"other bytes")
    await store.put("unchecked", body(content), md5=lie)
    assert "md5" not in record(tmp_path / "unchecked")
    written = await store.put(
        "checked", body(content), checksums=ExpectedChecksums(sha256=sha256), md5=lie
    )
    assert record(tmp_path / "checked")["md5"] == lie  # the source's word, tied to its SHA-256
    assert written.info == await store.head("checked", algorithms=())
    with pytest.raises(ChecksumMismatch):
        await store.put(
            "wrong", body(content), checksums=ExpectedChecksums(sha256=bytes(32)), md5=lie
        )
    assert sorted(os.listdir(tmp_path)) == ["checked", "unchecked"]


async def test_without_extended_attributes_the_body_still_arrives_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOTSUP, "Operation not supported")

    monkeypatch.setattr(os, "setxattr", unsupported)
    store = DirectoryStore(tmp_path, blocking=Blocking(2), read_only=False)
    written = await store.put(
        "notes.txt", body(b"kept"), content_type="application/x-custom", metadata={"a": "b"}
    )
    assert (tmp_path / "notes.txt").read_bytes() == b"kept"
    # What the file now says of itself, not what was asked: no record, a type from its name.
    assert (written.info.content_type, written.info.metadata) == ("text/plain", {})
    assert written.info.checksums == {}
    assert written.info == await store.head("notes.txt", algorithms=())


async def test_a_file_of_one_piece_is_written_in_one_trip_to_the_pool(tmp_path: Path) -> None:
    blocking = CountingBlocking(2)
    trips = blocking.calls
    store = DirectoryStore(tmp_path, blocking=blocking, read_only=False)
    await store.put("a/one.txt", body(b"one piece"))
    assert trips == ["whole"]
    trips.clear()
    two = os.urandom(2 * 1024 * 1024 + 1)
    await store.put("a/three.bin", body(two))
    assert trips == ["open", "write", "write", "write", "finish"]
    assert (tmp_path / "a" / "three.bin").read_bytes() == two
    assert (tmp_path / "a" / "one.txt").read_bytes() == b"one piece"
    assert record(tmp_path / "a" / "three.bin")["sha256"] == b64_digest("sha256", two)
