"""sync's skip rules, in their documented order (docs/sync.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.jobs.sync import Shard, unchanged
from service.storage.base import ObjectInfo

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def info(size: int = 3, when: datetime = T0, **checksums: str) -> ObjectInfo:
    return ObjectInfo(key="k", size=size, etag="e", last_modified=when, checksums=checksums)


@pytest.mark.parametrize(
    ("source", "target", "same"),
    [
        (info(sha256="A"), info(sha256="A"), True),
        (info(sha256="A"), info(sha256="B"), False),
        (info(3, sha256="A"), info(4, sha256="A"), False),  # sizes first
        # SHA-256 decides before MD5, MD5 before CRC32C
        (info(sha256="A", md5="X"), info(sha256="B", md5="X"), False),
        (info(md5="X", crc32c="1"), info(md5="X", crc32c="2"), True),
        (info(crc32c="1"), info(crc32c="1"), True),
        (info(crc32c="1"), info(crc32c="2"), False),
        # nothing in common: copy again unless size + mtime was asked for
        (info(sha256="A"), info(md5="X"), False),
        (info(), info(), False),
    ],
)
def test_checksum_order(source: ObjectInfo, target: ObjectInfo, same: bool) -> None:
    assert unchanged(source, target) is same


def test_size_and_mtime_only_on_request_and_only_without_checksums() -> None:
    old, new = T0, T0 + timedelta(seconds=5)
    assert unchanged(info(when=old), info(when=new), size_mtime=True)
    assert not unchanged(info(when=new), info(when=old), size_mtime=True)
    assert not unchanged(info(when=old), info(when=new))
    assert not unchanged(info(when=old, md5="X"), info(when=new, md5="Y"), size_mtime=True)


def test_every_key_has_exactly_one_shard() -> None:
    keys = [f"k/{i}" for i in range(500)] + ["ñandú/año", "a", ""]
    for count in (1, 2, 3, 7):
        owners = [[i for i in range(count) if Shard(i, count).owns(key)] for key in keys]
        assert all(len(found) == 1 for found in owners)
