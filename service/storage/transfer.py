"""Helpers every adapter uses to move a body: re-chunking, size limits and digests."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator
from typing import Any

from service.storage.base import (
    CHUNK_SIZE,
    ChecksumMismatch,
    ExpectedChecksums,
    TooLarge,
)


async def rechunk(
    chunks: AsyncIterable[bytes], size: int = CHUNK_SIZE, max_bytes: int | None = None
) -> AsyncIterator[bytes]:
    """Yield the body in pieces of exactly `size` bytes (the last may be shorter).

    Raises TooLarge as soon as more than `max_bytes` arrived, before the rest is read.
    """
    buffer = bytearray()
    async for chunk in limited(chunks, max_bytes):
        if not buffer and len(chunk) == size:
            yield chunk  # a whole piece already (a store's reads are): no copy
            continue
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


MAX_PIECES = min(os.sysconf("SC_IOV_MAX"), 1024)
"""Pieces per batch at most: one os.writev takes them all, and a client sending tiny pieces
cannot make a batch hold a million small objects."""


async def limited(chunks: AsyncIterable[bytes], max_bytes: int | None) -> AsyncIterator[bytes]:
    """The body's pieces; raises TooLarge as soon as more than `max_bytes` arrived."""
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            raise TooLarge(f"The body is larger than the limit of {max_bytes} bytes.")
        yield chunk


async def batches(
    chunks: AsyncIterable[bytes], size: int = CHUNK_SIZE, max_bytes: int | None = None
) -> AsyncGenerator[list[bytes], None]:
    """The body as lists of the pieces received, at least `size` bytes a list (the last may
    hold less) or MAX_PIECES pieces. Nothing is copied: a writer hands a list to os.writev.

    Raises TooLarge as soon as more than `max_bytes` arrived, before the rest is read.
    """
    batch: list[bytes] = []
    held = 0
    async for chunk in limited(chunks, max_bytes):
        if not chunk:
            continue
        batch.append(chunk)
        held += len(chunk)
        if held >= size or len(batch) >= MAX_PIECES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


class Digests:
    """Running digests of a body, fed chunk by chunk, checked against what the client sent."""

    def __init__(self, expected: ExpectedChecksums | None = None, *, always_sha256: bool = True):
        self.expected = expected or ExpectedChecksums()
        self.size = 0
        self._sha256: Any = hashlib.sha256() if always_sha256 or self.expected.sha256 else None
        self._md5: Any = (
            hashlib.md5(usedforsecurity=False) if self.expected.md5 is not None else None
        )

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._sha256 is not None:
            self._sha256.update(chunk)
        if self._md5 is not None:
            self._md5.update(chunk)

    @property
    def sha256(self) -> bytes | None:
        return None if self._sha256 is None else bytes(self._sha256.digest())

    @property
    def md5(self) -> bytes | None:
        return None if self._md5 is None else bytes(self._md5.digest())

    def verify(self) -> None:
        """Raise ChecksumMismatch unless every expected digest matches the body seen."""
        if self.expected.sha256 is not None and self.expected.sha256 != self.sha256:
            raise ChecksumMismatch("The body does not match x-checksum-sha256.")
        if self.expected.md5 is not None and self.expected.md5 != self.md5:
            raise ChecksumMismatch("The body does not match Content-MD5.")
