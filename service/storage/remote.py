"""What the S3 and GCS adapters share: key ↔ object-name mapping under a base prefix, opaque
listing cursors, part-wise upload bodies and streamed download bodies."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Mapping
from contextlib import aclosing
from typing import TypeVar

import anyio

from service.storage.base import (
    CHUNK_SIZE,
    MAX_PRESIGN_SECONDS,
    SHA256_METADATA,
    InvalidArgument,
    StorageError,
)
from service.storage.keys import validate_key, validate_prefix
from service.storage.threads import Blocking
from service.storage.transfer import rechunk

T = TypeVar("T")


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def split_metadata(stored: Mapping[str, str] | None) -> tuple[dict[str, str], dict[str, str]]:
    """(user metadata, checksums) from an object's stored metadata: the recorded SHA-256 is a
    checksum, not something the user set."""
    metadata = dict(stored or {})
    sha256 = metadata.pop(SHA256_METADATA, None)
    return metadata, ({"sha256": sha256} if sha256 else {})


def with_sha256(metadata: Mapping[str, str] | None, sha256: bytes | None) -> dict[str, str]:
    """User metadata plus the recorded SHA-256 (any value the caller sent under that name is
    replaced: only a digest the adapter verified is ever recorded)."""
    stored = {k: v for k, v in (metadata or {}).items() if k != SHA256_METADATA}
    if sha256 is not None:
        stored[SHA256_METADATA] = b64(sha256)
    return stored


class Namespace:
    """Maps API keys to object names under the storage URL's prefix and back.

    `s3://bucket/base` keeps key `a/b` as object `base/a/b`; names outside the base (or that
    are not valid keys, such as "folder/" placeholders made by consoles) are never returned.
    """

    def __init__(self, base: str) -> None:
        self.base = f"{base.strip('/')}/" if base.strip("/") else ""

    def name(self, key: str) -> str:
        return self.base + validate_key(key)

    def prefix(self, prefix: str) -> str:
        return self.base + validate_prefix(prefix)

    def key(self, name: str) -> str | None:
        if not name.startswith(self.base):
            return None
        key = name[len(self.base) :]
        try:
            return validate_key(key)
        except StorageError:
            return None

    def common_prefix(self, name: str) -> str | None:
        return name[len(self.base) :] if name.startswith(self.base) else None


def encode_cursor(token: str, prefix: str, delimiter: str | None) -> str:
    """The store's own page token, bound to the listing it came from, as opaque base64url."""
    raw = json.dumps({"t": token, "p": prefix, "d": delimiter}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, prefix: str, delimiter: str | None) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        fields = json.loads(raw)
        token, same = fields["t"], fields["p"] == prefix and fields["d"] == delimiter
    except (binascii.Error, ValueError, TypeError, KeyError) as exc:
        raise InvalidArgument("The cursor is not one this service issued.") from exc
    if not isinstance(token, str) or not same:
        raise InvalidArgument("The cursor belongs to a listing with another prefix or delimiter.")
    return token


def check_limit(limit: int) -> None:
    if not 1 <= limit <= 1000:
        raise InvalidArgument("limit must be between 1 and 1000.")


def check_expiry(expires_in: int) -> None:
    if not 1 <= expires_in <= MAX_PRESIGN_SECONDS:
        raise InvalidArgument(f"expires_in must be between 1 and {MAX_PRESIGN_SECONDS}.")


async def parts(
    chunks: AsyncIterable[bytes], part_size: int, max_bytes: int | None
) -> AsyncGenerator[tuple[bytes, bool], None]:
    """Yield the body as `(part, last)`: parts of exactly `part_size` bytes, then a last one of
    0..part_size bytes.

    A full part is only yielded as not-last once more data is known to follow, so a caller can
    choose a single request for small bodies and hold the final piece back until it has
    verified the checksums. At most one part plus one chunk is held in memory.
    """
    buffer = bytearray()

    def cut() -> bytes:  # before yielding, so a part is not held twice while it is sent
        part = bytes(buffer[:part_size])
        del buffer[:part_size]
        return part

    async for chunk in rechunk(chunks, CHUNK_SIZE, max_bytes):
        while len(buffer) >= part_size:
            yield cut(), False
        buffer += chunk
    while len(buffer) > part_size:
        yield cut(), False
    yield bytes(buffer), True


async def send_in_order(
    pieces: AsyncGenerator[T, None], send: Callable[[T], Awaitable[None]]
) -> None:
    """`await send(piece)` for every piece, in order, one at a time, while the next piece is
    read: the client's upload and the store's overlap, with at most two pieces in memory.

    The first error (from reading or sending) is raised as itself, not in an exception group.
    """
    slot = anyio.Semaphore(1)

    async def run(piece: T) -> None:
        try:
            await send(piece)
        finally:
            slot.release()

    try:
        async with anyio.create_task_group() as group, aclosing(pieces):
            async for piece in pieces:
                await slot.acquire()
                group.start_soon(run, piece)
    except BaseExceptionGroup as errors:
        raise _first(errors) from None


def _first(errors: BaseExceptionGroup[BaseException]) -> BaseException:
    cancelled = anyio.get_cancelled_exc_class()
    leaves = [error for error in errors.exceptions if not isinstance(error, cancelled)]
    first = (leaves or list(errors.exceptions))[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


class BodyStream:
    """An SDK response body read in CHUNK_SIZE pieces in the thread pool, closed on aclose."""

    def __init__(
        self,
        read: Callable[[int], bytes],
        close: Callable[[], None],
        blocking: Blocking,
        errors: Callable[[Exception], StorageError],
    ) -> None:
        self._read = read
        self._close = close
        self._blocking = blocking
        self._errors = errors
        self._closed = False

    def __aiter__(self) -> BodyStream:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            raise StopAsyncIteration
        try:
            data = await self._blocking.run(self._read, CHUNK_SIZE)
        except StorageError:
            await self.aclose()
            raise
        except Exception as exc:
            await self.aclose()
            raise self._errors(exc) from exc
        if not data:
            await self.aclose()
            raise StopAsyncIteration
        return data

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            # Closing drops the pooled connection; it does not wait on the network.
            self._close()
