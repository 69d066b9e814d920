"""When an S3 ETag is the body's MD5, and so a checksum the adapter reports (S3's Object docs):
single-part uploads stored in plain or with SSE-S3; not multipart, SSE-KMS or SSE-C."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from service.storage.s3 import _info

BODY = b"the body"
MD5_HEX = hashlib.md5(BODY).hexdigest()  # noqa: S324 (what S3 puts in the ETag)


def response(etag: str, **extra: Any) -> dict[str, Any]:
    return {"ETag": f'"{etag}"', "LastModified": datetime.now(UTC), **extra}


@pytest.mark.parametrize(
    "extra",
    [{}, {"ServerSideEncryption": "AES256"}],
    ids=["plain", "sse-s3"],
)
def test_a_single_part_etag_is_the_md5(extra: dict[str, Any]) -> None:
    info = _info("k", response(MD5_HEX, **extra), len(BODY))
    assert info.checksums["md5"] == base64.b64encode(hashlib.md5(BODY).digest()).decode()  # noqa: S324


@pytest.mark.parametrize(
    ("etag", "extra"),
    [
        (f"{MD5_HEX}-2", {}),
        (MD5_HEX, {"ServerSideEncryption": "aws:kms"}),
        (MD5_HEX, {"ServerSideEncryption": "aws:kms:dsse"}),
        (MD5_HEX, {"SSECustomerAlgorithm": "AES256"}),
        ("not-hex", {}),
    ],
    ids=["multipart", "sse-kms", "dsse-kms", "sse-c", "odd"],
)
def test_other_etags_give_no_md5(etag: str, extra: dict[str, Any]) -> None:
    assert "md5" not in _info("k", response(etag, **extra), len(BODY)).checksums
