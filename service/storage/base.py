"""The storage port: one async contract that every adapter (local, S3, GCS) implements.

The API layer only ever talks to an `ObjectStore`; adapters translate their SDK's errors into
the `StorageError` family below, and `service.api.problems` maps those to HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

CHUNK_SIZE = 1024 * 1024
"""Bodies move in chunks of this size both ways: large enough for throughput, small enough that
memory stays flat whatever the object size."""

DEFAULT_CONTENT_TYPE = "application/octet-stream"
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
"""SigV4 and GCS V4 both refuse longer expiries; the local signer keeps the same cap."""

PresignMethod = Literal["GET", "PUT"]

SHA256_METADATA = "bucketport-sha256"
"""Metadata name under which S3 (multipart) and GCS objects carry the SHA-256 (base64) of their
body: the service records one for everything it writes, so any two stores share a checksum.
Adapters move it into `ObjectInfo.checksums`; it never shows up as user metadata."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    """Opaque entity tag without quotes; the API adds them on the wire."""
    last_modified: datetime
    content_type: str | None = DEFAULT_CONTENT_TYPE
    """None only in a listing whose backend does not say (S3's); GET and HEAD always know."""
    version: str | None = None
    """The store's version id; None when the store does not version objects."""
    metadata: Mapping[str, str] | None = field(default_factory=dict)
    """User metadata; None only in a listing whose backend does not say (S3's)."""
    checksums: Mapping[str, str] = field(default_factory=dict)
    """Known digests by algorithm name ("sha256", "md5", "crc32c"), base64 as on the wire."""


@dataclass(frozen=True, slots=True)
class Written:
    info: ObjectInfo
    created: bool
    """True when no object existed under the key before this put (201 rather than 200)."""


@dataclass(frozen=True, slots=True)
class ExpectedChecksums:
    """Digests the client sent (raw bytes); a put must verify them before the object is visible."""

    md5: bytes | None = None
    sha256: bytes | None = None

    def __bool__(self) -> bool:
        return self.md5 is not None or self.sha256 is not None


@dataclass(frozen=True, slots=True)
class ByteRange:
    """One HTTP byte range as the client asked for it, before the object size is known.

    `first`/`last` are inclusive offsets; `suffix` is the `-n` form (last n bytes).
    """

    first: int | None = None
    last: int | None = None
    suffix: int | None = None

    def resolve(self, size: int) -> tuple[int, int]:
        """Inclusive (start, end) inside an object of `size` bytes, or InvalidRange."""
        if self.suffix is not None:
            if self.suffix == 0 or size == 0:
                raise InvalidRange(size)
            return max(0, size - self.suffix), size - 1
        first = self.first or 0
        if first >= size:
            raise InvalidRange(size)
        last = size - 1 if self.last is None else min(self.last, size - 1)
        return first, last


@dataclass(frozen=True, slots=True)
class ETags:
    """An If-Match / If-None-Match value: entity tags as (opaque tag, weak), or any ('*')."""

    tags: tuple[tuple[str, bool], ...] = ()
    any: bool = False

    def strong_match(self, etag: str) -> bool:
        """RFC 9110 §8.8.3.2 strong comparison: a weak tag never matches."""
        return self.any or (etag, False) in self.tags

    def weak_match(self, etag: str) -> bool:
        return self.any or any(tag == etag for tag, _ in self.tags)


@dataclass(frozen=True, slots=True)
class ReadConditions:
    """The preconditions of a GET or HEAD (RFC 9110 §13), judged against the very version a
    download serves. Dates have whole seconds, as HTTP dates do."""

    if_match: ETags | None = None
    if_none_match: ETags | None = None
    if_modified_since: datetime | None = None
    if_unmodified_since: datetime | None = None
    if_range: str | datetime | None = None
    """A strong ETag (opaque, without quotes) or a date; None when absent or a weak tag."""
    if_range_present: bool = False

    def check(self, info: ObjectInfo) -> None:
        """Raise PreconditionFailed or NotModified in the order of RFC 9110 §13.2.2."""
        modified = whole_seconds(info.last_modified)
        if self.if_match is not None:
            if not self.if_match.strong_match(info.etag):
                raise PreconditionFailed("The object's ETag does not match If-Match.")
        elif self.if_unmodified_since is not None and modified > self.if_unmodified_since:
            raise PreconditionFailed("The object was modified after If-Unmodified-Since.")
        if self.if_none_match is not None:
            if self.if_none_match.weak_match(info.etag):
                raise NotModified(info)
        elif self.if_modified_since is not None and modified <= self.if_modified_since:
            raise NotModified(info)

    def range_applies(self, info: ObjectInfo) -> bool:
        """If-Range: serve the range only while the client's validator still matches exactly
        (strong ETag comparison, or the exact Last-Modified date); else the whole object."""
        if not self.if_range_present:
            return True
        if isinstance(self.if_range, datetime):
            return whole_seconds(info.last_modified) == self.if_range
        return self.if_range == info.etag


def whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


NO_CONDITIONS = ReadConditions()


@dataclass(slots=True)
class Download:
    info: ObjectInfo
    chunks: AsyncIterator[bytes]
    """The body (or the requested slice); close it with `aclose()` if not read to the end."""
    content_range: tuple[int, int] | None = None
    """Inclusive (start, end) when a range was served, None for the whole object."""

    async def aclose(self) -> None:
        aclose = getattr(self.chunks, "aclose", None)
        if aclose is not None:
            await aclose()


@dataclass(frozen=True, slots=True)
class Page:
    items: list[ObjectInfo]
    prefixes: list[str]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class SignedURL:
    url: str
    method: PresignMethod
    expires_at: datetime
    headers: Mapping[str, str] = field(default_factory=dict)
    """Headers the caller must send with the request for the signature to hold."""


class ObjectStore(Protocol):
    """What every backend offers. All methods are coroutines; none blocks the event loop."""

    backend: str
    """Short name used in metrics and logs: "local", "s3" or "gcs"."""

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
        if_none_match_any: bool = False,
        if_match: str | None = None,
        checksums: ExpectedChecksums | None = None,
        max_bytes: int | None = None,
    ) -> Written:
        """Store `chunks` under `key`; nothing becomes visible unless every check passed.

        Raises PreconditionFailed, ChecksumMismatch, TooLarge, InvalidKey, BackendUnavailable.
        On any exception (including cancellation) no object and no partial upload remain.
        """
        ...

    async def get(
        self,
        key: str,
        *,
        byte_range: ByteRange | None = None,
        conditions: ReadConditions = NO_CONDITIONS,
    ) -> Download:
        """Open `key` for streaming. Raises NotFound, NotModified, PreconditionFailed,
        InvalidRange. `conditions` are checked against the version served; when If-Range does
        not match, the whole object is served (content_range None)."""
        ...

    async def head(self, key: str) -> ObjectInfo:
        """Raises NotFound."""
        ...

    async def delete(self, key: str) -> None:
        """Idempotent: deleting an absent key succeeds."""
        ...

    async def list(
        self,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page:
        """Keys in UTF-8 byte order. `cursor` is opaque (the previous page's next_cursor)."""
        ...

    async def presign(
        self,
        key: str,
        method: PresignMethod,
        expires_in: int,
        content_type: str | None = None,
    ) -> SignedURL:
        """A URL that lets its bearer GET or PUT `key` without a token until it expires."""
        ...

    async def check(self) -> None:
        """Readiness: raise BackendUnavailable when the store cannot be reached."""
        ...

    async def aclose(self) -> None:
        """Release clients and threads; called once at shutdown."""
        ...


def check_preconditions(
    current_etag: str | None, *, if_none_match_any: bool, if_match: str | None
) -> None:
    """Raise PreconditionFailed unless a write may replace `current_etag` (None: no object).

    Every adapter checks here first; S3 and GCS then hand the same condition to the store, so
    a write racing this check still cannot win wrongly.
    """
    if if_none_match_any and current_etag is not None:
        raise PreconditionFailed("The object exists and If-None-Match is '*'.")
    if if_match is not None and (current_etag is None or if_match not in ("*", current_etag)):
        raise PreconditionFailed(f"The object's ETag is not {if_match!r}.")


class StorageError(Exception):
    """Base of every error an adapter may raise; `code` is the machine-readable problem code."""

    code = "storage_error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.__class__.__doc__ or self.code)
        self.detail = detail or (self.__class__.__doc__ or self.code).strip()


class NotFound(StorageError):
    """No object exists under this key."""

    code = "not_found"


class NotModified(StorageError):
    """The object's ETag matches If-None-Match."""

    code = "not_modified"

    def __init__(self, info: ObjectInfo) -> None:
        super().__init__()
        self.info = info


class PreconditionFailed(StorageError):
    """A conditional request's precondition does not hold."""

    code = "precondition_failed"


class InvalidRange(StorageError):
    """The requested range does not overlap the object."""

    code = "invalid_range"

    def __init__(self, size: int) -> None:
        super().__init__(f"Range not satisfiable for an object of {size} bytes.")
        self.size = size


class ChecksumMismatch(StorageError):
    """The body does not match the checksum the client sent."""

    code = "checksum_mismatch"


class TooLarge(StorageError):
    """The body is larger than the upload limit."""

    code = "too_large"


class InsufficientStorage(StorageError):
    """The store has no room for this object; nothing was stored."""

    code = "insufficient_storage"


class InvalidKey(StorageError):
    """The key breaks the key rules."""

    code = "invalid_key"


class InvalidArgument(StorageError):
    """An argument (cursor, limit, delimiter, expiry) is not acceptable."""

    code = "invalid_argument"


class BackendUnavailable(StorageError):
    """The storage backend cannot be reached or refused the request."""

    code = "backend_unavailable"


class BackendTimeout(BackendUnavailable):
    """The storage backend did not answer within the configured timeout."""

    code = "backend_timeout"


class NotSupported(StorageError):
    """This backend cannot do what was asked."""

    code = "not_supported"
