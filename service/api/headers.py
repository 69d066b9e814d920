"""Parsing of the HTTP headers the object API understands. Pure functions, unit-tested."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from datetime import UTC
from email.utils import format_datetime

from service.api.problems import ApiError
from service.storage.base import DEFAULT_CONTENT_TYPE, ByteRange, ObjectInfo

META_PREFIX = "x-meta-"
MAX_METADATA_BYTES = 2048
"""S3's limit for user metadata; applied everywhere so an object moves between backends."""

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_META_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+(\s*;\s*[\w.+-]+=(\"[^\"\\]*\"|[\w.+-]+))*$")


def parse_range(header: str | None) -> ByteRange | None:
    """One `bytes=` range, or None to serve the whole object.

    Malformed or multi-range headers are ignored (RFC 9110 §14.2 lets a server do so).
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:
        return ByteRange(suffix=int(last))
    if last and int(last) < int(first):
        return None
    return ByteRange(first=int(first), last=int(last) if last else None)


def parse_etags(header: str | None) -> list[str] | None:
    """`If-Match`/`If-None-Match` values without quotes or W/; ["*"] for the wildcard."""
    if header is None:
        return None
    if header.strip() == "*":
        return ["*"]
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]
    return [tag for tag in tags if tag]


def decode_digest(value: str | None, name: str, size: int) -> bytes | None:
    """A base64 digest header of `size` bytes, or ApiError 400 naming the header."""
    if value is None:
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != size:
        raise ApiError(400, "invalid_header", f"{name} must be the base64 of {size} bytes.")
    return digest


def parse_metadata(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """User metadata from `x-meta-<name>` headers; names are lower-case ASCII."""
    metadata: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        if not lowered.startswith(META_PREFIX):
            continue
        key = lowered[len(META_PREFIX) :]
        if not _META_NAME.match(key):
            raise ApiError(400, "invalid_metadata", f"{name} is not a valid metadata name.")
        if not value.isascii() or not value.isprintable():
            raise ApiError(400, "invalid_metadata", f"{name} must be printable ASCII.")
        metadata[key] = value
    if sum(len(k) + len(v) for k, v in metadata.items()) > MAX_METADATA_BYTES:
        raise ApiError(
            400, "invalid_metadata", f"User metadata is limited to {MAX_METADATA_BYTES} bytes."
        )
    return metadata


def check_content_type(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > 255 or not _MEDIA_TYPE.match(value.strip()):
        raise ApiError(400, "invalid_header", "Content-Type is not a valid media type.")
    return value.strip()


def object_headers(info: ObjectInfo) -> dict[str, str]:
    """The headers GET and HEAD send for an object."""
    headers = {
        "ETag": f'"{info.etag}"',
        # SDKs hand back their own UTC tzinfo (botocore: dateutil's tzutc), which usegmt rejects.
        "Last-Modified": format_datetime(info.last_modified.astimezone(UTC), usegmt=True),
        "Content-Type": info.content_type or DEFAULT_CONTENT_TYPE,
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
        # Objects are user content: never let a browser run them in the API's origin.
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    headers.update(meta_headers(info.metadata or {}))
    if "sha256" in info.checksums:
        headers["x-checksum-sha256"] = info.checksums["sha256"]
    return headers


def meta_headers(metadata: Mapping[str, str]) -> dict[str, str]:
    return {META_PREFIX + name: value for name, value in metadata.items()}
