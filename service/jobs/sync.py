"""Copy or mirror objects from one endpoint to another (`python -m service sync SOURCE DEST`).

Both sides are listed in key order (every store lists in UTF-8 byte order) and merged as they
stream in, so memory does not grow with the number of keys; `jobs` workers copy meanwhile.

An object is skipped when the destination holds the same bytes, judged in this order:
  0. an S3 ETag equal to the MD5 of the other side (a single-part upload; never taken as a
     difference, since ETags of encrypted or multipart objects are not MD5s),
  1. SHA-256 on both sides (the service records one for everything it writes),
  2. MD5 on both sides (foreign GCS objects, Content-MD5 uploads),
  3. CRC32C on both sides (foreign GCS objects),
  4. with `size_mtime` only: same size and a destination no older than the source,
and copied otherwise. Sizes that differ always mean a copy. Details a listing lacks (S3 lists
no checksums, content type or metadata) are fetched from the object itself.

A copy counts as done only once the destination verified the body against the source's
SHA-256 or MD5 (before the object became visible), or else against its CRC32C and size.
Deletes (`delete`) run only after both listings ended without error.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio

from service.jobs.directory import DirectoryStore
from service.storage.base import (
    ChecksumMismatch,
    ExpectedChecksums,
    NotFound,
    ObjectInfo,
    StorageError,
    Written,
)
from service.storage.remote import HEX_MD5

DEFAULT_JOBS = 8
PAGE = 1000


@dataclass(frozen=True)
class Shard:
    """This worker's slice of the key space: Kubernetes Indexed Jobs run index I of N.

    A key belongs to exactly one index (its CRC-32 modulo N), so N workers with the same
    N partition the keys: none is copied twice, none is missed."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, _, count = text.partition("/")
        shard = cls(int(index), int(count))
        if not 0 <= shard.index < shard.count:
            raise ValueError(f"shard {text!r}: need 0 <= I < N")
        return shard

    def owns(self, key: str) -> bool:
        return zlib.crc32(key.encode()) % self.count == self.index


@dataclass(frozen=True)
class Options:
    prefix: str = ""
    dry_run: bool = False
    delete: bool = False
    shard: Shard = Shard()
    jobs: int = DEFAULT_JOBS
    size_mtime: bool = False


@dataclass(frozen=True)
class Event:
    """One object's outcome: copy, skip, delete or fail ("would copy"/"would delete" when dry)."""

    action: str
    key: str
    size: int
    dry_run: bool
    error: str | None = None
    verified: str | None = None
    """How a copy was checked: "sha256", "md5", "crc32c" or "size"."""


@dataclass
class SyncReport:
    dry_run: bool = False
    copied: int = 0
    skipped: int = 0
    deleted: int = 0
    failed: int = 0
    bytes_copied: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, event: Event) -> None:
        if event.action.endswith("copy"):
            self.copied += 1
            self.bytes_copied += event.size
        elif event.action.endswith("delete"):
            self.deleted += 1
        elif event.action == "skip":
            self.skipped += 1
        else:
            self.failed += 1
            self.errors.append(f"{event.key}: {event.error}")


class Listener(Protocol):
    def found(self, info: ObjectInfo) -> None:
        """A source object to consider: the totals grow while listing runs."""

    def moved(self, size: int) -> None:
        """Bytes of the current objects done (copied, or skipped as a whole)."""

    def finished(self, event: Event) -> None: ...


class Quiet:
    def found(self, info: ObjectInfo) -> None:
        pass

    def moved(self, size: int) -> None:
        pass

    def finished(self, event: Event) -> None:
        pass


class ListingFailed(Exception):
    """A listing broke off: nothing more is copied and nothing is deleted."""


def unchanged(source: ObjectInfo, target: ObjectInfo, *, size_mtime: bool = False) -> bool:
    """True when `target` holds the same bytes as `source` (see the module doc for the order)."""
    if source.size != target.size:
        return False
    ours, theirs = source.checksums or {}, target.checksums or {}
    for algorithm in ("sha256", "md5", "crc32c"):
        if algorithm in ours and algorithm in theirs:
            return bool(ours[algorithm] == theirs[algorithm])
    return size_mtime and target.last_modified >= source.last_modified


async def listing(store: Any, prefix: str, side: str) -> AsyncIterator[ObjectInfo]:
    """Every object under `prefix` in key order; ListingFailed names `side` if it breaks."""
    previous = None
    try:
        if isinstance(store, DirectoryStore):
            pages: AsyncIterator[list[ObjectInfo]] = store.batches(prefix, PAGE)
        else:
            pages = _pages(store, prefix)
        async for page in pages:
            for info in page:
                if previous is not None and info.key <= previous:
                    raise ListingFailed(f"the {side} listed {info.key!r} after {previous!r}")
                previous = info.key
                yield info
    except StorageError as exc:
        raise ListingFailed(f"listing the {side} failed: {exc.detail}") from exc


async def _pages(store: Any, prefix: str) -> AsyncIterator[list[ObjectInfo]]:
    cursor = None
    while True:
        page = await store.list(prefix, cursor=cursor, limit=PAGE)
        yield page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


async def merged(
    sources: AsyncIterator[ObjectInfo], targets: AsyncIterator[ObjectInfo]
) -> AsyncIterator[tuple[ObjectInfo | None, ObjectInfo | None]]:
    """(source, target) per key present on either side, in key order."""
    src, dst = await anext(sources, None), await anext(targets, None)
    while src is not None or dst is not None:
        if dst is None or (src is not None and src.key < dst.key):
            yield src, None
            src = await anext(sources, None)
        elif src is None or dst.key < src.key:
            yield None, dst
            dst = await anext(targets, None)
        else:
            yield src, dst
            src, dst = await anext(sources, None), await anext(targets, None)


class Sync:
    def __init__(self, source: Any, target: Any, options: Options, listener: Listener) -> None:
        self.source, self.target = source, target
        self.options = options
        self.listener = listener
        self.report = SyncReport(dry_run=options.dry_run)
        self._moved: dict[str, int] = {}

    async def run(self) -> SyncReport:
        send, receive = anyio.create_memory_object_stream[tuple[str, ObjectInfo, Any]](
            self.options.jobs
        )
        async with anyio.create_task_group() as group:
            for _ in range(self.options.jobs):
                group.start_soon(self._worker, receive.clone())
            receive.close()
            async with send:
                await self._plan(send)
        for store in (self.source, self.target):
            if isinstance(store, DirectoryStore):
                await store.flush()  # the digests learnt: the next run finds them
        return self.report

    async def _plan(self, send: Any) -> None:
        prefix, owns = self.options.prefix, self.options.shard.owns
        pairs = merged(listing(self.source, prefix, "SOURCE"), listing(self.target, prefix, "DEST"))
        doomed: list[ObjectInfo] = []
        async for src, dst in pairs:
            if src is not None and owns(src.key):
                self.listener.found(src)
                await send.send(("consider", src, dst))
            elif src is None and dst is not None and self.options.delete and owns(dst.key):
                doomed.append(dst)
        for dst in doomed:  # only now: both listings ended without error
            await send.send(("delete", dst, None))

    async def _worker(self, tasks: Any) -> None:
        async with tasks:
            async for kind, info, other in tasks:
                try:
                    if kind == "delete":
                        event = await self._delete(info)
                    else:
                        event = await self._consider(info, other)
                except Exception as exc:  # one bad object must not stop the rest
                    detail = exc.detail if isinstance(exc, StorageError) else repr(exc)
                    event = Event("fail", info.key, info.size, self.options.dry_run, detail)
                if kind == "consider":  # the bar counts a skipped or failed object as done
                    self.listener.moved(info.size - self._moved.pop(info.key, 0))
                self.report.count(event)
                self.listener.finished(event)

    async def _delete(self, info: ObjectInfo) -> Event:
        if self.options.dry_run:
            return Event("would delete", info.key, info.size, True)
        await self.target.delete(info.key)
        return Event("delete", info.key, info.size, False)

    async def _consider(self, src: ObjectInfo, dst: ObjectInfo | None) -> Event:
        dry = self.options.dry_run
        if dst is not None and dst.size == src.size:
            if await self._etag_says_same(src, dst):
                return Event("skip", src.key, src.size, dry)
            src, dst = await self._both_detailed(src, dst)
            if unchanged(src, dst, size_mtime=self.options.size_mtime):
                return Event("skip", src.key, src.size, dry)
        if dry:
            return Event("would copy", src.key, src.size, True)
        return await self._copy(src, create=dst is None)

    async def _etag_says_same(self, src: ObjectInfo, dst: ObjectInfo) -> bool:
        """Step 0 of the order: spares a HEAD per object on the S3 side of a re-run, and a
        directory computes the MD5 alone (no SHA-256) for it."""
        src_tag, dst_tag = _etag_md5(self.source, src), _etag_md5(self.target, dst)
        if src_tag and dst_tag:
            return src_tag == dst_tag
        if dst_tag:
            src = await _detailed(self.source, src, ("md5",))
            return _md5_hex(src) == dst_tag
        if src_tag:
            dst = await _detailed(self.target, dst, ("md5",))
            return _md5_hex(dst) == src_tag
        return False

    async def _both_detailed(
        self, src: ObjectInfo, dst: ObjectInfo
    ) -> tuple[ObjectInfo, ObjectInfo]:
        """Checksums for steps 1-3. A directory side goes second and hashes only the one
        algorithm the other side has (or none), since reading the file is the cost there."""
        if isinstance(self.target, DirectoryStore) and not isinstance(self.source, DirectoryStore):
            src = await _detailed(self.source, src)
            return src, await _detailed(self.target, dst, _shared(src))
        dst = await _detailed(self.target, dst, ("sha256",))
        return await _detailed(self.source, src, _shared(dst)), dst

    async def _copy(self, src: ObjectInfo, *, create: bool) -> Event:
        if isinstance(self.source, DirectoryStore):  # a file's SHA-256 checks its copy
            missing = () if "sha256" in src.checksums else ("sha256",)
            download = await self.source.get(src.key, algorithms=missing)
        else:
            download = await self.source.get(src.key)

        def progress(size: int) -> None:
            self._moved[src.key] = self._moved.get(src.key, 0) + size
            self.listener.moved(size)

        try:
            info: ObjectInfo = download.info
            # The download's own details describe exactly the body it streams.
            sums = {**(src.checksums or {}), **(info.checksums or {})}
            # One digest to check is enough; SHA-256 is the one every store records.
            sha256 = _raw(sums, "sha256")
            expected = ExpectedChecksums(sha256=sha256, md5=None if sha256 else _raw(sums, "md5"))
            crc = None if expected else sums.get("crc32c")
            verified = "sha256" if expected.sha256 else "md5" if expected.md5 else "crc32c"
            body = _verified(download.chunks, info.size, crc, progress)
            # A key the listing did not show is only created: a write that appeared meanwhile
            # is not overwritten (the copy fails), and S3 needs no HEAD first.
            extra: dict[str, Any] = (
                {"modified": info.last_modified, "md5": _vouched_md5(info)}
                if isinstance(self.target, DirectoryStore)
                else {"if_none_match_any": create}
            )
            written: Written = await self.target.put(
                src.key,
                body,
                content_type=info.content_type,
                metadata=dict(info.metadata or {}),
                checksums=expected,
                **extra,
            )
        finally:
            await download.aclose()
        if isinstance(self.source, DirectoryStore):  # e.g. an S3 ETag: the next run's MD5
            await self.source.learned(written.info.checksums)
        size = written.info.size
        return Event("copy", src.key, size, False, verified=verified if expected or crc else "size")


async def _detailed(store: Any, info: ObjectInfo, algorithms: tuple[str, ...] = ()) -> ObjectInfo:
    """`info` with checksums: asks the store for them when the listing had none. A directory
    computes only `algorithms` (a store returns what it has)."""
    have = info.checksums or {}
    if all(name in have for name in algorithms or ("sha256",)):
        return info
    try:
        if isinstance(store, DirectoryStore):
            detailed: ObjectInfo = await store.head(info.key, algorithms=algorithms)
        else:
            detailed = await store.head(info.key)
    except NotFound:
        return info
    return detailed


def _vouched_md5(info: ObjectInfo) -> str | None:
    """The download's MD5 when its SHA-256, the one the copy is checked against, came with it:
    the same object version vouches for both."""
    have = info.checksums or {}
    return have.get("md5") if "sha256" in have else None


def _shared(info: ObjectInfo) -> tuple[str, ...]:
    """The first digest of the comparison order a directory could match `info` on."""
    have = info.checksums or {}
    return next(((name,) for name in ("sha256", "md5") if name in have), ())


def _etag_md5(store: Any, info: ObjectInfo) -> str | None:
    """An S3 ETag that may be the body's MD5 (a single-part upload): 32 hex digits."""
    if store.backend == "s3" and HEX_MD5.fullmatch(info.etag or ""):
        return info.etag
    return None


def _md5_hex(info: ObjectInfo) -> str | None:
    md5 = (info.checksums or {}).get("md5")
    return base64.b64decode(md5).hex() if md5 else None


def _raw(sums: Mapping[str, str], algorithm: str) -> bytes | None:
    value = sums.get(algorithm)
    return base64.b64decode(value) if value else None


async def _verified(
    chunks: AsyncIterable[bytes], size: int, crc32c: str | None, progress: Callable[[int], None]
) -> AsyncIterator[bytes]:
    """The body, raising ChecksumMismatch at its end (before any store commits it) when the
    size or the CRC32C differs from the source's."""
    seen = 0
    crc = None
    if crc32c:
        import google_crc32c  # only foreign objects with nothing but a CRC32C need it

        crc = google_crc32c.Checksum()  # type: ignore[no-untyped-call]
    async for chunk in chunks:
        seen += len(chunk)
        if crc is not None:
            crc.update(chunk)  # type: ignore[no-untyped-call]
        progress(len(chunk))
        yield chunk
    if seen != size:
        raise ChecksumMismatch(f"Read {seen} bytes of an object the source says has {size}.")
    digest = crc.digest() if crc is not None else None  # type: ignore[no-untyped-call]
    if digest is not None and base64.b64encode(digest).decode() != crc32c:
        raise ChecksumMismatch("The body does not match the source's CRC32C.")


async def sync(
    source: Any, target: Any, options: Options = Options(), listener: Listener | None = None
) -> SyncReport:
    return await Sync(source, target, options, listener or Quiet()).run()
