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
directory, so no key and no symlink planted inside the root can reach a file outside it, and a
walk holds at most two descriptors whatever the key's depth. Nothing is opened in a way that
can block: files are opened O_NONBLOCK and anything that is not a regular file (a FIFO, a
device) counts as absent. Commits wait for the lock only up to a deadline (then 503).

Durability: an acknowledged PUT has fsynced the object file, every directory the commit made
and the directory the file was renamed into; an acknowledged DELETE has fsynced the directory
it removed the file from. A power loss afterwards keeps what was acknowledged.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import json
import logging
import math
import os
import stat
import struct
import tempfile
import time
from collections.abc import AsyncIterable, Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, TypeVarTuple, Unpack

from service.storage import signing
from service.storage.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    MAX_PRESIGN_SECONDS,
    NO_CONDITIONS,
    SHA256_METADATA,
    BackendUnavailable,
    ByteRange,
    Download,
    ExpectedChecksums,
    InsufficientStorage,
    InvalidArgument,
    InvalidKey,
    NotFound,
    NotSupported,
    ObjectInfo,
    Page,
    PresignMethod,
    ReadConditions,
    SignedURL,
    StorageError,
    Written,
    check_preconditions,
)
from service.storage.keys import validate_key, validate_prefix
from service.storage.listing import Cursor, group_by_delimiter
from service.storage.nowait import BENEATH_NO_SYMLINKS, NoWait, WouldBlock
from service.storage.remote import send_overlapped
from service.storage.threads import Blocking
from service.storage.transfer import MAX_PIECES, Digests, batches

OBJECT_SUFFIX = ".o"
DIR_SUFFIX = ".d"
MAX_SEGMENT_BYTES = 255 - len(OBJECT_SUFFIX)
TRAILER = struct.Struct(">I4s")
MAGIC = b"BPO1"
UPLOAD_GRACE_SECONDS = 10.0
"""An unlocked temp file younger than this may be an upload that has not taken its lock yet."""
SWEEP_INTERVAL_SECONDS = 300.0
"""How often leftover temp files are looked for (besides at start)."""
INLINE_MAX_BYTES = 64 * 1024
"""Object files up to this size (body and trailer) are served from the event loop when the
kernel has them cached: one read of this size from the page cache costs microseconds, less
than the thread hop it saves."""

# O_NONBLOCK: opening a FIFO or a device planted in the store returns at once instead of
# waiting for a writer; the type check that follows refuses anything but a regular file.
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_BLOCKED = (errno.ELOOP, errno.ENOTDIR, errno.EISDIR)
_FULL = (errno.ENOSPC, errno.EDQUOT)

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
Children = list[tuple[str, bool]]
"""A directory's entries as (name without suffix, is a directory)."""
Opened = tuple[ObjectInfo, tuple[int, int] | None, int | None, bytes]
"""An object to serve: its info, the range's span, and the file left open or the body read."""
log = logging.getLogger(__name__)


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


def _os_error(exc: OSError) -> StorageError:
    """The port's error for a failed file operation: 507 when the disk is full, else 503."""
    if exc.errno in _FULL:
        return InsufficientStorage("The local store is out of space; nothing was stored.")
    if exc.errno == errno.EROFS:
        return BackendUnavailable("The local store's filesystem is read-only.")
    if exc.errno == errno.ENOENT:
        return BackendUnavailable("A directory of the local store is missing.")
    return BackendUnavailable(f"The local store failed: {os.strerror(exc.errno or 0)}.")


def _open_regular(name: str | Path, dir_fd: int | None = None) -> int | None:
    """Open a regular file for reading; None when it is absent, a symlink or anything else."""
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return fd


def _read_info(fd: int, key: str) -> ObjectInfo:
    """ObjectInfo from an open object file's trailer."""
    return _parse_info(key, os.fstat(fd), partial(os.pread, fd))


def _parse_info(key: str, st: os.stat_result, read: Callable[[int, int], bytes]) -> ObjectInfo:
    """ObjectInfo from an object file's trailer, read with `read(size, offset)`."""
    if st.st_size < TRAILER.size:
        raise NotFound(f"{key!r} is damaged (no trailer).")
    length, magic = TRAILER.unpack(read(TRAILER.size, st.st_size - TRAILER.size))
    if magic != MAGIC:
        raise NotFound(f"{key!r} is not an object file.")
    body_size = st.st_size - TRAILER.size - length
    meta = json.loads(read(length, body_size))
    return ObjectInfo(
        key=key,
        size=body_size,
        etag=meta["etag"],
        last_modified=datetime.fromtimestamp(st.st_mtime, UTC),
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
        lock_timeout: float = 10.0,
        min_free_bytes: int = 0,
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
        self._lock_timeout = lock_timeout
        self._min_free_bytes = min_free_bytes
        self._next_sweep = 0.0
        self._nowait = NoWait()
        self.read_only = read_only
        if read_only:
            if not self._objects.is_dir():
                raise NotFound(f"{self.root} is not a bucketport store (no objects/ directory).")
            return
        try:
            self._objects.mkdir(parents=True, exist_ok=True)
            self._tmp.mkdir(exist_ok=True)
            os.close(os.open(self._lock_path, _FILE_FLAGS | os.O_CREAT, 0o644))
            self._sweep()
        except OSError as exc:
            # Serve what can be served; requests and /readyz report the store as unavailable.
            log.warning("local store %s is not usable: %s", self.root, exc)

    async def _run(self, func: Callable[[Unpack[Ts]], T], *args: *Ts) -> T:
        """Run a file operation in the pool, turning OSError into the port's errors."""
        try:
            return await self._blocking.run(func, *args)
        except OSError as exc:
            raise _os_error(exc) from exc

    # -- paths ---------------------------------------------------------------------------

    def _root_fd(self) -> int:
        try:
            return os.open(self._objects, _DIR_FLAGS)
        except OSError as exc:
            raise BackendUnavailable(
                f"The local store's directory {self._objects} is missing or unreadable."
            ) from exc

    def _dir_fd(self, dirs: Sequence[str]) -> int | None:
        """The directory holding a key's file, or None when a directory on the way is missing.

        Raises OSError (ENOTDIR, ELOOP) when the way is blocked by a file or a symlink. Only the
        current directory and the next are open at any time.
        """
        fd = self._root_fd()
        try:
            for name in dirs:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = child
        except FileNotFoundError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _make_dirs(self, dirs: list[str]) -> tuple[int, int | None]:
        """Open the directory chain, creating what is missing: (fd, index of the first made)."""
        fd = self._root_fd()
        first_made: int | None = None
        try:
            for depth, name in enumerate(dirs):
                try:
                    os.mkdir(name, 0o755, dir_fd=fd)
                except FileExistsError:
                    pass
                else:
                    first_made = depth if first_made is None else first_made
                    os.fsync(fd)  # the new entry is durable before anything relies on it
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            if first_made is not None:
                self._remove_empty(dirs, first_made)
            raise
        return fd, first_made

    def _remove_empty(self, dirs: list[str], first: int) -> None:
        """Remove dirs[first:] (a chain) where empty, deepest first, up to the first that is not.

        It climbs with '..' from the deepest, so it too holds at most two descriptors.
        """
        fd = self._root_fd()
        depth = 0
        try:
            for name in dirs:
                try:
                    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except OSError:
                    break
                os.close(fd)
                fd, depth = child, depth + 1
            while depth > first:
                parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd, depth = parent, depth - 1
                try:
                    os.rmdir(dirs[depth], dir_fd=fd)
                except OSError:
                    break
                os.fsync(fd)
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _commit_lock(self) -> Iterator[None]:
        """The store-wide commit lock, or BackendUnavailable when it is not free in time."""
        fd = _open_regular(self._lock_path)
        if fd is None:
            raise BackendUnavailable("The local store's lock file is missing or not a file.")
        try:
            deadline = time.monotonic() + self._lock_timeout
            pause = 0.001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise BackendUnavailable(
                            f"The local store's commit lock was not free within "
                            f"{self._lock_timeout:g}s."
                        ) from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.05)
            yield
        finally:
            os.close(fd)

    def _sweep(self) -> None:
        """Remove temp files that no live upload holds (each upload keeps its file locked)."""
        self._next_sweep = time.monotonic() + SWEEP_INTERVAL_SECONDS
        cutoff = time.time() - UPLOAD_GRACE_SECONDS
        tmp = os.open(self._tmp, _DIR_FLAGS)
        try:
            with os.scandir(tmp) as entries:
                names = [entry.name for entry in entries]
            for name in names:
                fd = _open_regular(name, tmp)
                if fd is None:
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    if os.fstat(fd).st_mtime < cutoff:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(name, dir_fd=tmp)
                except BlockingIOError:
                    pass  # an upload in progress
                finally:
                    os.close(fd)
        finally:
            os.close(tmp)

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
        if time.monotonic() >= self._next_sweep:
            await self._run(self._sweep)
        fd, tmp_path = await self._run(self._new_upload)
        try:
            # Each batch is hashed and written in one thread hop while the loop receives the
            # next: hashing and the disk overlap the network and never block the loop.
            # On failure it returns only after the batch in the thread is written: the file
            # is closed and removed below with no thread still writing to it.
            async def write(pieces: list[bytes]) -> None:
                await self._run(_write_hashed, fd, digests, pieces)

            await send_overlapped(batches(chunks, CHUNK_SIZE, max_bytes), write)
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
            info = await self._run(_finish_file, fd, trailer, key)
            commit = partial(self._commit, if_none_match_any=if_none_match_any, if_match=if_match)
            created = await self._run(commit, tmp_path, dirs, leaf, key)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_path)
            raise
        finally:
            os.close(fd)  # only now: the lock on it told the sweeper the upload was alive
        return Written(info=info, created=created)

    def _new_upload(self) -> tuple[int, str]:
        fd, path = tempfile.mkstemp(dir=self._tmp, prefix="upload-")
        fcntl.flock(fd, fcntl.LOCK_EX)  # held until the upload ends: a sweeper skips the file
        return fd, path

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
        """Move the finished upload into place; True when the key did not exist before.

        The preconditions are checked before any directory is made, and directories made for
        a commit that then fails are removed: a refused write leaves the tree as it was.
        """
        with self._commit_lock():
            try:
                fd = self._dir_fd(dirs)
                current = None if fd is None else _etag_of(fd, leaf, key)
            except OSError as exc:
                if exc.errno in _BLOCKED:
                    raise InvalidKey("The key's path is blocked inside the store.") from exc
                raise
            first_made = None
            try:
                check_preconditions(current, if_none_match_any=if_none_match_any, if_match=if_match)
                if fd is None:
                    fd, first_made = self._make_dirs(dirs)
                try:
                    os.rename(tmp_path, leaf, dst_dir_fd=fd)
                    os.fsync(fd)
                except BaseException:
                    if first_made is not None:
                        self._remove_empty(dirs, first_made)
                    raise
                return current is None
            finally:
                if fd is not None:
                    os.close(fd)

    def _writable(self) -> None:
        if self.read_only:
            raise NotSupported("This store was opened read-only.")

    async def delete(self, key: str) -> None:
        dirs, leaf = _split(key)
        self._writable()
        await self._run(self._delete, dirs, leaf)

    def _delete(self, dirs: list[str], leaf: str) -> None:
        with self._commit_lock():
            try:
                fd = self._dir_fd(dirs)
            except OSError as exc:
                if exc.errno in _BLOCKED:
                    return
                raise
            if fd is None:
                return
            try:
                os.unlink(leaf, dir_fd=fd)
                os.fsync(fd)
            except (FileNotFoundError, IsADirectoryError):
                pass
            finally:
                os.close(fd)
            self._remove_empty(dirs, 0)

    # -- reads ---------------------------------------------------------------------------

    def _open_object(self, key: str) -> tuple[int, ObjectInfo]:
        dirs, leaf = _split(key)
        try:
            dir_fd = self._dir_fd(dirs)
        except OSError as exc:
            if exc.errno in _BLOCKED:
                raise NotFound(f"No object named {key!r}.") from exc
            raise
        if dir_fd is None:
            raise NotFound(f"No object named {key!r}.")
        try:
            fd = _open_regular(leaf, dir_fd)
        finally:
            os.close(dir_fd)
        if fd is None:
            raise NotFound(f"No object named {key!r}.")
        try:
            return fd, _read_info(fd, key)
        except BaseException:
            os.close(fd)
            raise

    async def head(self, key: str) -> ObjectInfo:
        fd, info = await self._run(self._open_object, key)
        os.close(fd)
        return info

    async def get(
        self,
        key: str,
        *,
        byte_range: ByteRange | None = None,
        conditions: ReadConditions = NO_CONDITIONS,
    ) -> Download:
        try:
            opened = self._open_span_cached(key, byte_range, conditions)
        except WouldBlock:
            opened = await self._run(self._open_span, key, byte_range, conditions)
        info, span, fd, body = opened
        start, end = span or (0, info.size - 1)
        chunks = _FileChunks(fd, start, end, self._blocking) if fd is not None else _Once(body)
        return Download(info, chunks, span)

    def _open_span(
        self, key: str, byte_range: ByteRange | None, conditions: ReadConditions
    ) -> Opened:
        """Open `key` and check the conditions in one trip to the thread pool; a span of up to
        one chunk is read right away, so a small GET costs a single hop."""
        fd, info = self._open_object(key)
        try:
            span = _span(info, byte_range, conditions)  # on the open file: the version served
            start, end = span or (0, info.size - 1)
            if end - start + 1 > CHUNK_SIZE:
                return info, span, fd, b""
            body = os.pread(fd, end - start + 1, start) if end >= start else b""
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        return info, span, None, body

    def _open_span_cached(
        self, key: str, byte_range: ByteRange | None, conditions: ReadConditions
    ) -> Opened:
        """`_open_span` for a small object the kernel has cached, run in the event loop (no
        thread hop); WouldBlock when anything would wait for the disk. The path is opened in
        one openat2 that refuses symlinks and leaving the root, as `_open_object`'s walk does,
        and the whole file (body and trailer) is read at once: one version, as in the pool."""
        dirs, leaf = _split(key)
        try:
            root = self._nowait.open_cached(os.fsencode(self._objects), _DIR_FLAGS)
        except OSError as exc:
            raise WouldBlock("the root") from exc  # the pool's walk reports it (503)
        try:
            fd = self._nowait.open_cached(
                "/".join([*dirs, leaf]).encode(), _FILE_FLAGS, BENEATH_NO_SYMLINKS, root
            )
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ELOOP, *_BLOCKED):
                raise NotFound(f"No object named {key!r}.") from exc
            raise WouldBlock(str(exc)) from exc
        finally:
            os.close(root)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise NotFound(f"No object named {key!r}.")  # a FIFO or a device is no object
            if st.st_size > INLINE_MAX_BYTES:
                raise WouldBlock("large")
            data = self._nowait.read_cached(fd, st.st_size)
        finally:
            os.close(fd)
        info = _parse_info(key, st, partial(_slice, data))
        span = _span(info, byte_range, conditions)
        start, end = span or (0, info.size - 1)
        return info, span, None, data[start : end + 1]

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
        return await self._run(self._list, prefix, delimiter or None, after, limit)

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
        yield from self._walk_keys([], "", prefix, delimiter, after)

    def _children(self, dirs: Sequence[str]) -> Children:
        """A directory's entries as (name, is_dir), read with the directory closed afterwards, so
        a walk of any depth holds no descriptor between directories."""
        try:
            fd = self._dir_fd(dirs)
        except OSError as exc:
            if exc.errno in _BLOCKED:
                return []
            raise
        if fd is None:
            return []  # removed while we listed
        children: Children = []
        try:
            with os.scandir(fd) as scan:
                for entry in scan:
                    if entry.name.endswith(DIR_SUFFIX) and entry.is_dir(follow_symlinks=False):
                        children.append((entry.name[: -len(DIR_SUFFIX)], True))
                    elif entry.name.endswith(OBJECT_SUFFIX) and entry.is_file(
                        follow_symlinks=False
                    ):
                        children.append((entry.name[: -len(OBJECT_SUFFIX)], False))
        finally:
            os.close(fd)
        return children

    def _walk_keys(
        self,
        dirs: Sequence[str],
        base: str,
        prefix: str,
        delimiter: str | None,
        after: Cursor | None,
    ) -> Iterator[str]:
        children = [
            (base + name + "/" if is_dir else base + name, is_dir)
            for name, is_dir in self._children(dirs)
        ]
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
            yield from self._walk_keys([*dirs, segment], name, prefix, delimiter, after)

    # -- the rest ------------------------------------------------------------------------

    async def presign(
        self,
        key: str,
        method: PresignMethod,
        expires_in: int,
        content_type: str | None = None,
    ) -> SignedURL:
        _split(key)  # the local store's own rules too (segment length)
        if not 1 <= expires_in <= MAX_PRESIGN_SECONDS:
            raise InvalidArgument(f"expires_in must be 1..{MAX_PRESIGN_SECONDS} seconds.")
        bound_type = content_type if method == "PUT" else None
        expires = math.ceil(time.time()) + expires_in  # rounded up: never earlier than asked
        path = signing.sign(self._secret, method, key, expires, bound_type)
        return SignedURL(
            url=self._public_url + path,
            method=method,
            expires_at=datetime.fromtimestamp(expires, UTC),
            headers={"Content-Type": bound_type} if bound_type else {},
        )

    async def check(self) -> None:
        """Ready when a write could succeed: directories and lock in place, the filesystem
        writable and at least `min_free_bytes` free. Also sweeps leftovers when due."""
        await self._run(self._check)

    def _check(self) -> None:
        if self.read_only:
            if not os.access(self._objects, os.R_OK | os.X_OK):
                raise BackendUnavailable(f"{self._objects} is missing or not readable.")
            return
        for path in (self._objects, self._tmp):
            if not os.access(path, os.W_OK):
                raise BackendUnavailable(f"{path} is missing or not writable.")
        lock = _open_regular(self._lock_path)
        if lock is None:
            raise BackendUnavailable(f"The lock file {self._lock_path} is missing or not a file.")
        os.close(lock)
        fs = os.statvfs(self._tmp)
        if fs.f_flag & os.ST_RDONLY:
            raise BackendUnavailable("The local store's filesystem is read-only.")
        free = fs.f_bavail * fs.f_frsize
        if free < self._min_free_bytes:
            raise BackendUnavailable(
                f"Only {free} bytes are free for the local store; the minimum is "
                f"{self._min_free_bytes} (BUCKETPORT_LOCAL_MIN_FREE_BYTES)."
            )
        if time.monotonic() >= self._next_sweep:
            self._sweep()

    async def aclose(self) -> None:
        return None


def _slice(data: bytes, size: int, offset: int) -> bytes:
    """`os.pread` over bytes already read; a damaged trailer pointing outside them takes the
    pool's path, so it gets the same answer there."""
    if offset < 0 or offset + size > len(data):
        raise WouldBlock("outside the file")
    return data[offset : offset + size]


def _span(
    info: ObjectInfo, byte_range: ByteRange | None, conditions: ReadConditions
) -> tuple[int, int] | None:
    """Check the conditions against the version being served; the span to send, if a range."""
    conditions.check(info)
    if byte_range and not conditions.range_applies(info):
        return None
    return byte_range.resolve(info.size) if byte_range else None


def _write_hashed(fd: int, digests: Digests, pieces: list[bytes]) -> None:
    for piece in pieces:
        digests.update(piece)  # hashlib lets go of the GIL for pieces over 2 KiB
    _write_all(fd, pieces)


def _finish_file(fd: int, trailer: dict[str, Any], key: str) -> ObjectInfo:
    """Append the trailer and make the file durable before it can be renamed into place."""
    encoded = json.dumps(trailer, separators=(",", ":")).encode()
    _write_all(fd, [encoded, TRAILER.pack(len(encoded), MAGIC)])
    os.fsync(fd)
    return _read_info(fd, key)


def _write_all(fd: int, pieces: list[bytes]) -> None:
    """Write the pieces in order with as few system calls as the kernel allows: a write may be
    short (a signal, a nearly full disk), so what is left is written again."""
    pending = [memoryview(piece) for piece in pieces if piece]
    first = 0
    while first < len(pending):
        written = os.writev(fd, pending[first : first + MAX_PIECES])
        while written:
            if written >= len(pending[first]):
                written -= len(pending[first])
                first += 1
            else:
                pending[first] = pending[first][written:]
                written = 0


def _etag_of(dir_fd: int, leaf: str, key: str) -> str | None:
    """The current object's ETag, or None when there is none (a planted symlink or FIFO is no
    object: the rename replaces the entry itself)."""
    fd = _open_regular(leaf, dir_fd)
    if fd is None:
        return None
    try:
        return _read_info(fd, key).etag
    finally:
        os.close(fd)
