"""What the S3 and GCS adapters share: key ↔ object-name mapping under a base prefix, opaque
listing cursors, part-wise upload bodies and streamed download bodies."""

from __future__ import annotations

import base64
import math
import re
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Mapping
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import anyio

from service.storage.base import (
    CHUNK_SIZE,
    MAX_PRESIGN_SECONDS,
    SHA256_METADATA,
    InvalidArgument,
    InvalidKey,
    StorageError,
    TooLarge,
)
from service.storage.keys import validate_key, validate_prefix
from service.storage.listing import NOT_OURS, decode_token, encode_token
from service.storage.threads import Blocking

T = TypeVar("T")
MAX_NAME_BYTES = 1024
"""S3 keys and GCS object names are at most 1024 bytes, base prefix included."""
HEX_MD5 = re.compile("[0-9a-f]{32}")
"""An ETag that may be an MD5: S3 gives a multipart object's as `<hex>-<parts>`."""


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
        name = self.base + validate_key(key)
        if len(name.encode()) > MAX_NAME_BYTES:
            raise InvalidKey(
                f"With the store's base prefix the key is {len(name.encode())} bytes; S3 and GCS "
                f"allow {MAX_NAME_BYTES}."
            )
        return name

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
    return encode_token({"t": token, "p": prefix, "d": delimiter})


def decode_cursor(cursor: str, prefix: str, delimiter: str | None) -> str:
    fields = decode_token(cursor)
    if not isinstance(fields, dict) or not isinstance(fields.get("t"), str):
        raise InvalidArgument(NOT_OURS)
    if fields.get("p") != prefix or fields.get("d") != delimiter:
        raise InvalidArgument("The cursor belongs to a listing with another prefix or delimiter.")
    return str(fields["t"])


async def sign_at_least(
    expires_in: int,
    sign: Callable[[int], str],
    run: Callable[[Callable[[], str]], Awaitable[str]],
    prefix: str,
) -> tuple[str, datetime]:
    """A URL signed by `sign(seconds)` that lives no less than `expires_in` seconds from now,
    and the moment it expires, read from the URL itself (`{prefix}Date` + `{prefix}Expires`).

    SigV4 and GCS V4 count from the signing time cut to the whole second, so a URL signed for N
    seconds can die up to a second early: one more second is signed for. At the 7-day maximum,
    which allows no more, signing waits for the next whole second instead.
    """
    seconds = expires_in + 1
    if seconds > MAX_PRESIGN_SECONDS:
        seconds = expires_in
        await anyio.sleep(math.ceil(time.time()) - time.time())
    url = await run(partial(sign, seconds))
    query = parse_qs(urlsplit(url).query)
    signed_at = datetime.strptime(query[prefix + "Date"][0], "%Y%m%dT%H%M%SZ")
    lifetime = timedelta(seconds=int(query[prefix + "Expires"][0]))
    return url, signed_at.replace(tzinfo=UTC) + lifetime


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
    verified the checksums. Raises TooLarge as soon as more than `max_bytes` arrived. Each
    byte is copied once (the received pieces are joined into a part); at most one part plus
    one received piece is held.
    """
    pending: deque[bytes | memoryview] = deque()
    held = total = 0

    def cut() -> bytes:  # before yielding, so a part is not held twice while it is sent
        nonlocal held
        taken: list[bytes | memoryview] = []
        size = 0
        while size < part_size:
            piece = pending.popleft()
            if size + len(piece) > part_size:  # split it: the rest opens the next part
                view, keep = memoryview(piece), part_size - size
                pending.appendleft(view[keep:])
                piece = view[:keep]
            taken.append(piece)
            size += len(piece)
        held -= part_size
        return b"".join(taken)

    async for chunk in chunks:
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            raise TooLarge(f"The body is larger than the limit of {max_bytes} bytes.")
        if not chunk:
            continue
        while held >= part_size:  # a full part, and more follows: not the last
            yield cut(), False
        pending.append(chunk)
        held += len(chunk)
    while held > part_size:
        yield cut(), False
    yield b"".join(pending), True


async def send_overlapped(
    pieces: AsyncGenerator[T, None], send: Callable[[T], Awaitable[None]], at_once: int = 1
) -> None:
    """`await send(piece)` for every piece, up to `at_once` at a time, while the next piece is
    read: the client's upload and the store's overlap, with at most `at_once + 1` pieces in
    memory. With `at_once=1` the pieces are sent one after the other, in order.

    The first error (from reading or sending) is raised as itself, not in an exception group.
    """
    slots = anyio.Semaphore(at_once)

    async def run(piece: T) -> None:
        try:
            await send(piece)
        finally:
            slots.release()

    try:
        async with anyio.create_task_group() as group, aclosing(pieces):
            async for piece in pieces:
                await slots.acquire()
                group.start_soon(run, piece)
    except BaseExceptionGroup as errors:
        raise _first(errors) from None


def _first(errors: BaseExceptionGroup[BaseException]) -> BaseException:
    cancelled = anyio.get_cancelled_exc_class()
    leaves = [error for error in errors.exceptions if not isinstance(error, cancelled)]
    first = (leaves or list(errors.exceptions))[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


class BodyStream:
    """An SDK response body read in CHUNK_SIZE pieces in the thread pool, closed on aclose;
    or, given `whole`, that body read already."""

    def __init__(
        self,
        read: Callable[[int], bytes],
        close: Callable[[], None],
        blocking: Blocking,
        errors: Callable[[Exception], StorageError],
        *,
        whole: bytes | None = None,
    ) -> None:
        self._read = read
        self._close = close
        self._blocking = blocking
        self._errors = errors
        self._closed = False
        self._ended = False
        self._whole = whole

    def __aiter__(self) -> BodyStream:
        return self

    async def __anext__(self) -> bytes:
        if self._ended:
            await self.aclose()
        if self._closed:
            raise StopAsyncIteration
        if self._whole is not None:
            data, self._whole, self._ended = self._whole, None, True
        else:
            try:
                data = await self._blocking.run(self._read_piece)
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

    def _read_piece(self) -> bytes:
        """Up to CHUNK_SIZE bytes. The SDKs read short only at the end, so after a short piece
        the read that sees the end (where they check the length and checksum) is made in the
        same trip to the pool; a body of one piece, most objects, costs one trip, not two."""
        data = self._read(CHUNK_SIZE)
        if 0 < len(data) < CHUNK_SIZE:
            more = self._read(CHUNK_SIZE)
            if more:  # a body that reads short before its end: go on as usual
                return data + more
            self._ended = True
        return data

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            # Closing drops the pooled connection; it does not wait on the network.
            self._close()
