"""Local-disk adapter: objects as files under one root, written atomically, never outside it.

Layout under the root:
    objects/   one file per object; a key's segments become directories named `<segment>.d`
               and its last segment a file named `<segment>.o`, so `a` and `a/b` can coexist
               as they do on S3 and GCS.
    tmp/       uploads in progress (same filesystem, so committing is one rename)
    .lock      serialises commits and deletes across threads and worker processes

Each object file holds the body followed by a JSON trailer (metadata, digests) and its length,
so a commit is a single atomic rename and a reader holding the file open sees one version.
Every path is walked one component at a time with O_NOFOLLOW relative to the previous
directory, so no key and no symlink planted inside the root can reach a file outside it.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import json
import os
import struct
import tempfile
import time
from collections.abc import AsyncIterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from service.storage import signing
from service.storage.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    MAX_PRESIGN_SECONDS,
    SHA256_METADATA,
    BackendUnavailable,
    ByteRange,
    Download,
    ExpectedChecksums,
    InvalidArgument,
    InvalidKey,
    NotFound,
    NotModified,
    NotSupported,
    ObjectInfo,
    Page,
    PresignMethod,
    SignedURL,
    Written,
    check_preconditions,
)
from service.storage.keys import validate_key, validate_prefix
from service.storage.listing import Cursor, group_by_delimiter
from service.storage.threads import Blocking
from service.storage.transfer import Digests, rechunk

OBJECT_SUFFIX = ".o"
DIR_SUFFIX = ".d"
MAX_SEGMENT_BYTES = 255 - len(OBJECT_SUFFIX)
TRAILER = struct.Struct(">I4s")
MAGIC = b"BPO1"
STALE_UPLOAD = timedelta(days=1)

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
_BLOCKED = (errno.ELOOP, errno.ENOTDIR, errno.EISDIR)


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def _split(key: str) -> tuple[list[str], str]:
    *dirs, leaf = validate_key(key).split("/")
    for segment in (*dirs, leaf):
        if len(segment.encode()) > MAX_SEGMENT_BYTES:
            raise InvalidKey(
                f"The local store keeps key segments to {MAX_SEGMENT_BYTES} bytes "
                "(a filesystem name limit)."
            )
    return [segment + DIR_SUFFIX for segment in dirs], leaf + OBJECT_SUFFIX


def _read_info(fd: int, key: str) -> ObjectInfo:
    """ObjectInfo from an open object file's trailer."""
    stat = os.fstat(fd)
    if stat.st_size < TRAILER.size:
        raise NotFound(f"{key!r} is damaged (no trailer).")
    length, magic = TRAILER.unpack(os.pread(fd, TRAILER.size, stat.st_size - TRAILER.size))
    if magic != MAGIC:
        raise NotFound(f"{key!r} is not an object file.")
    body_size = stat.st_size - TRAILER.size - length
    meta = json.loads(os.pread(fd, length, body_size))
    return ObjectInfo(
        key=key,
        size=body_size,
        etag=meta["etag"],
        last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
        content_type=meta["content_type"],
        metadata=meta["metadata"],
        checksums=meta["checksums"],
    )


class _FileChunks:
    """Async iterator over a byte span of an open file, read in the store's thread pool.

    A class rather than an async generator so that closing it releases the file even when
    iteration never started (a client that disconnects before the first byte).
    """

    def __init__(self, fd: int, start: int, end: int, blocking: Blocking) -> None:
        self._fd: int | None = fd
        self._offset = start
        self._end = end + 1
        self._blocking = blocking

    def __aiter__(self) -> _FileChunks:
        return self

    async def __anext__(self) -> bytes:
        if self._fd is None or self._offset >= self._end:
            await self.aclose()
            raise StopAsyncIteration
        size = min(CHUNK_SIZE, self._end - self._offset)
        chunk = await self._blocking.run(os.pread, self._fd, size, self._offset)
        if not chunk:
            await self.aclose()
            raise StopAsyncIteration
        self._offset += len(chunk)
        return chunk

    async def aclose(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


class _Once:
    """An async iterator over one body already read."""

    def __init__(self, body: bytes) -> None:
        self._body: bytes | None = body

    def __aiter__(self) -> _Once:
        return self

    async def __anext__(self) -> bytes:
        if not self._body:
            raise StopAsyncIteration
        body, self._body = self._body, None
        return body

    async def aclose(self) -> None:
        self._body = None


class LocalStore:
    backend = "local"

    def __init__(
        self,
        root: Path,
        *,
        blocking: Blocking,
        presign_secret: bytes,
        public_url: str | None = None,
        read_only: bool = False,
    ) -> None:
        """With `read_only` (a sync source, a dry run) the root must already be a store and
        nothing under it is created, touched or cleaned up; writes are refused."""
        self.root = root.resolve()
        self._objects = self.root / "objects"
        self._tmp = self.root / "tmp"
        self._lock_path = self.root / ".lock"
        self._blocking = blocking
        self._secret = presign_secret
        self._public_url = (public_url or "").rstrip("/")
        self.read_only = read_only
        if read_only:
            if not self._objects.is_dir():
                raise NotFound(f"{self.root} is not a bucketport store (no objects/ directory).")
            return
        self._objects.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(exist_ok=True)
        self._lock_path.touch(exist_ok=True)
        self._remove_stale_uploads()

    # -- paths ---------------------------------------------------------------------------

    def _walk(self, dirs: list[str], *, create: bool) -> list[int]:
        """Open the directory chain for `dirs`: [objects_fd, d1_fd, ...]. Caller closes all."""
        fds = [os.open(self._objects, _DIR_FLAGS)]
        try:
            for name in dirs:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(name, 0o755, dir_fd=fds[-1])
                fds.append(os.open(name, _DIR_FLAGS, dir_fd=fds[-1]))
        except BaseException:
            _close_all(fds)
            raise
        return fds

    @contextlib.contextmanager
    def _commit_lock(self) -> Iterator[None]:
        with open(self._lock_path, "rb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _remove_stale_uploads(self) -> None:
        cutoff = time.time() - STALE_UPLOAD.total_seconds()
        for entry in os.scandir(self._tmp):
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)

    # -- writes --------------------------------------------------------------------------

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
        dirs, leaf = _split(key)
        self._writable()
        digests = Digests(checksums)
        fd, tmp_path = await self._blocking.run(self._new_upload)
        try:
            async for chunk in rechunk(chunks, CHUNK_SIZE, max_bytes):
                await self._blocking.run(_write_hashed, fd, chunk, digests)
            digests.verify()
            sha256 = digests.sha256 or b""
            trailer = {
                "etag": sha256.hex()[:32],
                "content_type": content_type,
                # The reserved name is a checksum elsewhere; the trailer has its own.
                "metadata": {k: v for k, v in (metadata or {}).items() if k != SHA256_METADATA},
                "checksums": {"sha256": _b64(sha256)}
                | ({"md5": _b64(digests.md5)} if digests.md5 else {}),
            }
            # The file is read back for its info, so the answer is exactly what GET will see.
            info = await self._blocking.run(_finish_file, fd, trailer, key)
            os.close(fd)
            fd = -1
            commit = partial(self._commit, if_none_match_any=if_none_match_any, if_match=if_match)
            created = await self._blocking.run(commit, tmp_path, dirs, leaf, key)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_path)
            raise
        return Written(info=info, created=created)

    def _new_upload(self) -> tuple[int, str]:
        return tempfile.mkstemp(dir=self._tmp, prefix="upload-")

    def _commit(
        self,
        tmp_path: str,
        dirs: list[str],
        leaf: str,
        key: str,
        *,
        if_none_match_any: bool,
        if_match: str | None,
    ) -> bool:
        """Move the finished upload into place; True when the key did not exist before."""
        with self._commit_lock():
            try:
                fds = self._walk(dirs, create=True)
            except OSError as exc:
                if exc.errno in _BLOCKED:
                    raise InvalidKey("The key's path is blocked inside the store.") from exc
                raise
            try:
                current = _etag_of(fds[-1], leaf, key)
                check_preconditions(current, if_none_match_any=if_none_match_any, if_match=if_match)
                os.rename(tmp_path, leaf, dst_dir_fd=fds[-1])
                return current is None
            finally:
                _close_all(fds)

    def _writable(self) -> None:
        if self.read_only:
            raise NotSupported("This store was opened read-only.")

    async def delete(self, key: str) -> None:
        dirs, leaf = _split(key)
        self._writable()
        await self._blocking.run(self._delete, dirs, leaf)

    def _delete(self, dirs: list[str], leaf: str) -> None:
        with self._commit_lock():
            try:
                fds = self._walk(dirs, create=False)
            except OSError as exc:
                if isinstance(exc, FileNotFoundError) or exc.errno in _BLOCKED:
                    return
                raise
            try:
                with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                    os.unlink(leaf, dir_fd=fds[-1])
                # Remove directories the delete left empty, deepest first.
                for parent, name in zip(reversed(fds[:-1]), reversed(dirs), strict=True):
                    try:
                        os.rmdir(name, dir_fd=parent)
                    except OSError:
                        break
            finally:
                _close_all(fds)

    # -- reads ---------------------------------------------------------------------------

    def _open_object(self, key: str) -> tuple[int, ObjectInfo]:
        dirs, leaf = _split(key)
        try:
            fds = self._walk(dirs, create=False)
        except OSError as exc:
            if isinstance(exc, FileNotFoundError) or exc.errno in _BLOCKED:
                raise NotFound(f"No object named {key!r}.") from exc
            raise
        try:
            fd = os.open(leaf, _FILE_FLAGS, dir_fd=fds[-1])
        except OSError as exc:
            if isinstance(exc, FileNotFoundError) or exc.errno in _BLOCKED:
                raise NotFound(f"No object named {key!r}.") from exc
            raise
        finally:
            _close_all(fds)
        try:
            return fd, _read_info(fd, key)
        except BaseException:
            os.close(fd)
            raise

    async def head(self, key: str) -> ObjectInfo:
        fd, info = await self._blocking.run(self._open_object, key)
        os.close(fd)
        return info

    async def get(
        self,
        key: str,
        *,
        byte_range: ByteRange | None = None,
        if_none_match: str | None = None,
    ) -> Download:
        opened = await self._blocking.run(self._open_span, key, byte_range, if_none_match)
        info, span, fd, body = opened
        start, end = span or (0, info.size - 1)
        chunks = _FileChunks(fd, start, end, self._blocking) if fd is not None else _Once(body)
        return Download(info, chunks, span)

    def _open_span(
        self, key: str, byte_range: ByteRange | None, if_none_match: str | None
    ) -> tuple[ObjectInfo, tuple[int, int] | None, int | None, bytes]:
        """Open `key` and check the conditions in one trip to the thread pool; a span of up to
        one chunk is read right away, so a small GET costs a single hop."""
        fd, info = self._open_object(key)
        try:
            if if_none_match is not None and if_none_match in (info.etag, "*"):
                raise NotModified(info)
            span = byte_range.resolve(info.size) if byte_range else None
            start, end = span or (0, info.size - 1)
            if end - start + 1 > CHUNK_SIZE:
                return info, span, fd, b""
            body = os.pread(fd, end - start + 1, start) if end >= start else b""
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        return info, span, None, body

    async def list(
        self,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page:
        validate_prefix(prefix)
        after = Cursor.decode(cursor) if cursor else None
        return await self._blocking.run(self._list, prefix, delimiter or None, after, limit)

    def _list(self, prefix: str, delimiter: str | None, after: Cursor | None, limit: int) -> Page:
        items: list[ObjectInfo] = []
        prefixes: list[str] = []
        entries = group_by_delimiter(self._keys(prefix, delimiter, after), prefix, delimiter)
        last: Cursor | None = None
        for entry in entries:
            if after is not None and after.covers(entry.name):
                continue
            if len(items) + len(prefixes) == limit:
                return Page(items, prefixes, last.encode() if last else None)
            if entry.is_prefix:
                prefixes.append(entry.name)
            else:
                try:
                    items.append(self._info(entry.name))
                except NotFound:
                    continue  # deleted while we listed
            last = Cursor(entry.name, entry.is_prefix)
        return Page(items, prefixes, None)

    def _info(self, key: str) -> ObjectInfo:
        fd, info = self._open_object(key)
        os.close(fd)
        return info

    def _keys(self, prefix: str, delimiter: str | None, after: Cursor | None) -> Iterator[str]:
        """Every key under `prefix` in UTF-8 byte order, pruning subtrees the cursor passed.

        With delimiter '/', a directory that is a whole common prefix is yielded as that prefix
        (ending in '/') without descending into it; `group_by_delimiter` passes it through.
        """
        fd = os.open(self._objects, _DIR_FLAGS)
        try:
            yield from self._walk_keys(fd, "", prefix, delimiter, after)
        finally:
            os.close(fd)

    def _walk_keys(
        self, fd: int, base: str, prefix: str, delimiter: str | None, after: Cursor | None
    ) -> Iterator[str]:
        children: list[tuple[str, bool]] = []
        with os.scandir(fd) as scan:
            for entry in scan:
                if entry.name.endswith(DIR_SUFFIX) and entry.is_dir(follow_symlinks=False):
                    children.append((base + entry.name[: -len(DIR_SUFFIX)] + "/", True))
                elif entry.name.endswith(OBJECT_SUFFIX) and entry.is_file(follow_symlinks=False):
                    children.append((base + entry.name[: -len(OBJECT_SUFFIX)], False))
        for name, is_dir in sorted(children):
            if not is_dir:
                if name.startswith(prefix):
                    yield name
                continue
            if not (name.startswith(prefix) or prefix.startswith(name)):
                continue
            if after is not None and after.passed_subtree(name):
                continue
            below_prefix = len(name) > len(prefix) and name.startswith(prefix)
            if delimiter == "/" and below_prefix and "/" not in name[len(prefix) : -1]:
                yield name
                continue
            segment = name[len(base) : -1] + DIR_SUFFIX
            try:
                child = os.open(segment, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                continue
            try:
                yield from self._walk_keys(child, name, prefix, delimiter, after)
            finally:
                os.close(child)

    # -- the rest ------------------------------------------------------------------------

    async def presign(
        self,
        key: str,
        method: PresignMethod,
        expires_in: int,
        content_type: str | None = None,
    ) -> SignedURL:
        validate_key(key)
        if not 1 <= expires_in <= MAX_PRESIGN_SECONDS:
            raise InvalidArgument(f"expires_in must be 1..{MAX_PRESIGN_SECONDS} seconds.")
        bound_type = content_type if method == "PUT" else None
        expires = int(time.time()) + expires_in
        path = signing.sign(self._secret, method, key, expires, bound_type)
        return SignedURL(
            url=self._public_url + path,
            method=method,
            expires_at=datetime.fromtimestamp(expires, UTC),
            headers={"Content-Type": bound_type} if bound_type else {},
        )

    async def check(self) -> None:
        if not await self._blocking.run(os.access, self._objects, os.W_OK):
            raise BackendUnavailable(f"The store root {self.root} is not writable.")

    async def aclose(self) -> None:
        return None


def _write_hashed(fd: int, chunk: bytes, digests: Digests) -> None:
    digests.update(chunk)
    _write_all(fd, chunk)


def _finish_file(fd: int, trailer: dict[str, Any], key: str) -> ObjectInfo:
    """Append the trailer and make the file durable before it can be renamed into place."""
    encoded = json.dumps(trailer, separators=(",", ":")).encode()
    _write_all(fd, encoded + TRAILER.pack(len(encoded), MAGIC))
    os.fsync(fd)
    return _read_info(fd, key)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _etag_of(dir_fd: int, leaf: str, key: str) -> str | None:
    try:
        fd = os.open(leaf, _FILE_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None  # a planted symlink is no object; the rename replaces the link itself
        if exc.errno in _BLOCKED:
            raise InvalidKey("The key's path is blocked inside the store.") from exc
        raise
    try:
        return _read_info(fd, key).etag
    finally:
        os.close(fd)


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)
