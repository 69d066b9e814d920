"""Parsing of the HTTP headers the object API understands. Pure functions, unit-tested."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import unquote_to_bytes

from service.api.date import http_date
from service.api.problems import ApiError
from service.storage.base import (
    DEFAULT_CONTENT_TYPE,
    ByteRange,
    ETags,
    InvalidArgument,
    InvalidKey,
    ObjectInfo,
    ReadConditions,
    whole_seconds,
)
from service.storage.keys import decode_wire

META_PREFIX = "x-meta-"
MAX_METADATA_BYTES = 2048
"""S3's limit for user metadata; applied everywhere so an object moves between backends."""

BEYOND_ANY_SIZE = 2**63 - 1
"""Larger than any object on any backend (S3 and GCS cap objects at 5 TiB)."""
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_QUOTED = re.compile(r'"([^"]*)"')
_META_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# RFC 9110 §8.3.1, ASCII only; OWS is spaces and tabs, a quoted value holds no control character.
_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(
    rf'{_TCHARS}/{_TCHARS}(?:[ \t]*;[ \t]*{_TCHARS}=(?:{_TCHARS}|"[^"\\\x00-\x1f\x7f]*"))*',
    re.ASCII,
)


def check_query(raw: bytes) -> None:
    """Refuse a query string with a value that is not valid UTF-8 (InvalidKey for `prefix`),
    which Starlette would otherwise decode leniently into U+FFFD."""
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")  # a '+' (a space) never changes validity
        try:
            decode_wire(value)
        except InvalidKey as exc:
            if unquote_to_bytes(name) == b"prefix":
                raise InvalidKey("The prefix is not valid UTF-8.") from exc
            raise InvalidArgument("A query parameter is not valid UTF-8.") from exc


def parse_range(header: str | None) -> ByteRange | None:
    """One `bytes=` range, or None to serve the whole object.

    Malformed or multi-range headers are ignored (RFC 9110 §14.2 lets a server do so). Numbers
    of any length are accepted: one past every possible object size stands for them all.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = (digits.lstrip("0") or "0" if digits else "" for digits in match.groups())
    if not first:
        return ByteRange(suffix=_offset(last))
    if last and (len(last), last) < (len(first), first):
        return None
    return ByteRange(first=_offset(first), last=_offset(last) if last else None)


def _offset(digits: str) -> int:
    """A byte offset from its digits (no leading zeros); huge values are all BEYOND_ANY_SIZE."""
    return int(digits) if len(digits) < len(str(BEYOND_ANY_SIZE)) else BEYOND_ANY_SIZE


def parse_etags(header: str | None) -> ETags | None:
    """An `If-Match`/`If-None-Match` value: its tags, each marked weak or not, or '*'."""
    if header is None:
        return None
    if header.strip() == "*":
        return ETags(any=True)
    tags = []
    for part in header.split(","):
        tag = part.strip()
        weak = tag.startswith("W/")
        tag = tag.removeprefix("W/").strip('"')
        if tag:
            tags.append((tag, weak))
    return ETags(tuple(tags))


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP-date in UTC, or None when absent or not a valid date (then it is ignored)."""
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _if_range(value: str) -> str | datetime | None:
    """A strong ETag (without quotes) or a date; None for what never matches (a weak tag)."""
    tag = _QUOTED.fullmatch(value)
    return tag.group(1) if tag else parse_http_date(value)


def read_conditions(
    *,
    if_match: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
    if_unmodified_since: str | None = None,
    if_range: str | None = None,
) -> ReadConditions:
    """The preconditions of a GET or HEAD from their headers (RFC 9110 §13.1)."""
    return ReadConditions(
        if_match=parse_etags(if_match),
        if_none_match=parse_etags(if_none_match),
        if_modified_since=parse_http_date(if_modified_since),
        if_unmodified_since=parse_http_date(if_unmodified_since),
        if_range=None if if_range is None else _if_range(if_range.strip()),
        if_range_present=if_range is not None,
    )


def decode_digest(value: str | None, name: str, size: int) -> bytes | None:
    """A base64 digest header of `size` bytes, or ApiError 400 naming the header."""
    if value is None:
        return None
    refusal = ApiError(400, "invalid_header", f"{name} must be the base64 of {size} bytes.")
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise refusal from None
    if len(digest) != size:
        raise refusal
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


def is_media_type(value: str) -> bool:
    """A media type with parameters (RFC 9110 §8.3.1): ASCII, no control characters."""
    return len(value) <= 255 and _MEDIA_TYPE.fullmatch(value) is not None


def check_content_type(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip(" \t")
    if not is_media_type(stripped):
        raise ApiError(400, "invalid_header", "Content-Type is not a valid media type.")
    return stripped


def object_headers(info: ObjectInfo, now: datetime) -> dict[str, str]:
    """The headers GET and HEAD send for an object, in a response dated `now`.

    Last-Modified is never later than the response's Date (RFC 9110 §8.8.2.1): a clock ahead
    of ours, or a file time in the future, is reported as `now`.
    """
    headers = {
        "Date": http_date(now),
        "ETag": f'"{info.etag}"',
        "Last-Modified": http_date(min(whole_seconds(info.last_modified), whole_seconds(now))),
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
