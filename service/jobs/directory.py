"""A plain local directory as a sync endpoint: keys are relative paths, '/'-separated.

Only what sync needs (list, head, get, put, delete). Files are read in place and never changed
when the directory is a source (the digests of its files go to a DigestCache instead). When it
is a destination, each file is written to a temporary name beside its final one and renamed, so
a failed copy leaves nothing; its content type, user metadata, SHA-256 and (where the source
vouches for one) MD5 go into one extended attribute (`user.bucketport`) where the filesystem
has them, and its mtime is the source object's. Without a recorded type, the type is guessed
from the file name. Symlinks and special files are not followed or copied.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import mimetypes
import os
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from stat import S_ISREG
from typing import Any, BinaryIO

from service.jobs.digest_cache import DigestCache
from service.storage.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    SHA256_METADATA,
    ExpectedChecksums,
    NotFound,
    NotSupported,
    ObjectInfo,
    Written,
)
from service.storage.keys import validate_key
from service.storage.remote import b64
from service.storage.threads import Blocking
from service.storage.transfer import Digests, rechunk

XATTR = "user.bucketport"
ALGORITHMS = ("sha256", "md5")
"""What a directory can compute for a comparison."""
TMP_MARK = ".bucketport-tmp-"
"""Temporary files carry this in their name; listings skip them."""


def _stamp(stat: os.stat_result) -> str:
    """What a recorded SHA-256 is valid for: this inode, size and mtime (a rewrite changes one)."""
    return f"{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"


def _recorded(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(os.getxattr(path, XATTR, follow_symlinks=False)))
    except (OSError, ValueError):
        return {}


def _info(
    key: str,
    path: Path,
    stat: os.stat_result,
    algorithms: tuple[str, ...] = (),
    cache: DigestCache | None = None,
) -> ObjectInfo:
    return _described(key, path, stat, _recorded(path), algorithms, cache)


def _described(
    key: str,
    path: Path,
    stat: os.stat_result,
    recorded: Mapping[str, Any],
    algorithms: tuple[str, ...] = (),
    cache: DigestCache | None = None,
    pieces: Iterable[bytes] | None = None,
) -> ObjectInfo:
    """With the digests known for the file as it is now (recorded beside it, or in the digest
    cache), and those of `algorithms` still missing computed (from `pieces`, the body as read
    already, else the file read afresh) and cached. A listing gets the known ones too, so
    that a re-run compares them without coming back for each file."""
    checksums = cache.get(stat) if cache is not None else {}
    if recorded.get("stamp") == _stamp(stat):
        checksums |= {name: str(recorded[name]) for name in ALGORITHMS if recorded.get(name)}
    missing = tuple(name for name in algorithms if name not in checksums)
    if missing:
        checksums |= _digests_of(path, missing, pieces)
        if cache is not None:
            cache.put(stat, checksums)
    content_type = recorded.get("content_type") or mimetypes.guess_type(key)[0]
    return ObjectInfo(
        key=key,
        size=stat.st_size,
        etag=f"{stat.st_mtime_ns:x}-{stat.st_size:x}",
        last_modified=datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC),
        content_type=content_type or DEFAULT_CONTENT_TYPE,
        metadata=dict(recorded.get("metadata") or {}),
        checksums=checksums,
    )


def _digests_of(
    path: Path, algorithms: tuple[str, ...], pieces: Iterable[bytes] | None = None
) -> dict[str, str]:
    """The asked digests of a file, in one read: "sha256" (what the service records
    everywhere) and/or "md5" (what S3 ETags and GCS show; it costs twice SHA-256 here)."""
    digests = {name: hashlib.new(name, usedforsecurity=False) for name in algorithms}
    for piece in _pieces_of(path) if pieces is None else pieces:
        for digest in digests.values():
            digest.update(piece)
    return {name: b64(digest.digest()) for name, digest in digests.items()}


def _pieces_of(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        yield from iter(partial(file.read, CHUNK_SIZE), b"")


class DirectoryStore:
    backend = "directory"

    def __init__(
        self,
        root: Path,
        *,
        blocking: Blocking,
        read_only: bool,
        digest_cache: DigestCache | None = None,
    ) -> None:
        self.root = root.absolute()
        self.read_only = read_only
        self._blocking = blocking
        self._cache = digest_cache

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    # -- reads ---------------------------------------------------------------------------

    def walk(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every regular file under the root as an object, in UTF-8 byte order of the keys
        (the order every store lists in, so sync can merge two listings)."""
        yield from self._walk(self.root, "", prefix)

    async def batches(self, prefix: str, size: int) -> AsyncIterator[list[ObjectInfo]]:
        """`walk` in lists of up to `size`, each read in the thread pool."""
        entries = self.walk(prefix)
        while batch := await self._blocking.run(_take, entries, size):
            yield batch
            if len(batch) < size:  # the walk ended: no trip to find that out
                return

    def _walk(self, directory: Path, base: str, prefix: str) -> Iterator[ObjectInfo]:
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            return
        # A directory sorts as its name plus '/', as its keys do.
        named = sorted(
            (e.name + ("/" if e.is_dir(follow_symlinks=False) else ""), e) for e in entries
        )
        for name, entry in named:
            key = base + name
            if not (key.startswith(prefix) or prefix.startswith(key)):
                continue
            if name.endswith("/"):
                yield from self._walk(Path(entry.path), key, prefix)
            elif entry.is_file(follow_symlinks=False) and TMP_MARK not in name:
                stat = entry.stat(follow_symlinks=False)
                yield _info(key, Path(entry.path), stat, cache=self._cache)

    async def head(self, key: str, *, algorithms: tuple[str, ...] = ALGORITHMS) -> ObjectInfo:
        """With checksums: the recorded SHA-256 and MD5 if the file is unchanged since, else
        the `algorithms` asked, computed (sync asks only for what the other side has)."""
        return await self._blocking.run(self._head, key, algorithms)

    def _head(self, key: str, algorithms: tuple[str, ...]) -> ObjectInfo:
        path = self._path(key)
        try:
            stat = path.stat(follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise NotFound(f"No file {path}.") from exc
        if not path.is_file() or path.is_symlink():
            raise NotFound(f"{path} is not a regular file.")
        return _info(key, path, stat, algorithms, self._cache)

    async def learned(self, checksums: Mapping[str, str]) -> None:
        """Digests another store reported for a body read from here, alongside the SHA-256 it
        checked the body against: files with that SHA-256 need not be hashed for them."""
        sha256, md5 = checksums.get("sha256"), checksums.get("md5")
        if self._cache is not None and sha256 and md5 and self._cache.vouch(sha256, md5):
            await self._blocking.run(self._cache.flush)

    async def flush(self) -> None:
        """Writes the digest cache's queued entries."""
        if self._cache is not None:
            await self._blocking.run(self._cache.flush)

    async def get(self, key: str, *, algorithms: tuple[str, ...] = ()) -> _Download:
        """The file's details, with the digests of `algorithms` (computed if not known), and
        its body. One trip to the pool opens the file and reads its first piece: a file of
        one piece, as most are, is then read whole, and its digests are of the bytes sent."""
        return await self._blocking.run(self._open, key, algorithms)

    def _open(self, key: str, algorithms: tuple[str, ...]) -> _Download:
        path = self._path(key)
        try:
            # Not through a symlink; and a FIFO put in the file's place cannot block the open.
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise NotFound(f"No file {path}.") from exc
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise NotFound(f"{path} is not a regular file.") from exc
            raise
        file = os.fdopen(fd, "rb")  # buffered: a read returns short only at the end
        try:
            stat = os.fstat(fd)
            if not S_ISREG(stat.st_mode):
                raise NotFound(f"{path} is not a regular file.")
            first = file.read(CHUNK_SIZE)
            whole = len(first) < CHUNK_SIZE
            # Hashed (if need be) from the open file, not the path: the inode described.
            rest = () if whole else iter(partial(file.read, CHUNK_SIZE), b"")
            pieces = itertools.chain((first,), rest)
            info = _described(key, path, stat, _recorded(path), algorithms, self._cache, pieces)
            if whole:
                file.close()
            else:
                file.seek(len(first))
        except BaseException:
            file.close()
            raise
        return _Download(info, file, self._blocking, first, whole=whole)

    # -- writes --------------------------------------------------------------------------

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
        checksums: ExpectedChecksums | None = None,
        modified: datetime | None = None,
        md5: str | None = None,
    ) -> Written:
        """The record holds the SHA-256, and the MD5 where it comes free: checked against
        `checksums`, or `md5`, the source's MD5 of this body (base64) from the same details as
        the SHA-256 checked (once that matches, it is recorded as is). MD5 costs more than twice
        SHA-256 here; a comparison that needs one the record lacks computes it then."""
        if self.read_only:
            raise NotSupported("This directory is read-only here (a source or a dry run).")
        path = self._path(key)
        tmp = path.with_name(f".{path.name[:200]}{TMP_MARK}{secrets.token_hex(4)}")
        user = {k: v for k, v in (metadata or {}).items() if k != SHA256_METADATA}
        writer = _Writer(
            path,
            tmp,
            Digests(checksums),
            {"content_type": content_type, "metadata": user},
            vouched_md5=md5 if checksums and checksums.sha256 else None,
            modified=modified,
        )
        pieces = rechunk(chunks)
        try:
            first = await anext(pieces, b"")
            second = await anext(pieces, None)
            if second is None:  # one piece, as most files are: one trip to the pool for all
                stat, saved = await self._blocking.run(writer.whole, first)
            else:
                await self._blocking.run(writer.open)
                await self._blocking.run(writer.write, first)
                await self._blocking.run(writer.write, second)
                async for chunk in pieces:
                    await self._blocking.run(writer.write, chunk)
                stat, saved = await self._blocking.run(writer.finish)
        except BaseException:
            writer.discard()
            raise
        info = _described(key, path, stat, writer.record if saved else {})
        return Written(info=info, created=not writer.existed)

    async def delete(self, key: str) -> None:
        if self.read_only:
            raise NotSupported("This directory is read-only here (a source or a dry run).")
        with contextlib.suppress(FileNotFoundError):
            await self._blocking.run(self._path(key).unlink)

    async def aclose(self) -> None:
        return None


def _take(entries: Iterator[ObjectInfo], size: int) -> list[ObjectInfo]:
    return list(itertools.islice(entries, size))


class _Writer:
    """One file being written: to a temporary name beside it, checked, recorded, renamed into
    place. Blocking: `put` calls it in the thread pool, a body of one piece in one trip."""

    def __init__(
        self,
        path: Path,
        tmp: Path,
        digests: Digests,
        record: dict[str, Any],
        *,
        vouched_md5: str | None,
        modified: datetime | None,
    ) -> None:
        self.path, self.tmp = path, tmp
        self.digests = digests
        self.record = record
        self.vouched_md5 = vouched_md5
        self.modified = modified
        self.existed = False
        self.file: BinaryIO | None = None

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.existed = self.path.exists()
        self.file = self.tmp.open("xb")

    def write(self, chunk: bytes) -> None:
        self.digests.update(chunk)
        self._opened().write(chunk)

    def finish(self) -> tuple[os.stat_result, bool]:
        """Checks the body against the digests expected and renames the file into place."""
        self._opened().close()
        self.digests.verify()
        self.record["sha256"] = b64(self.digests.sha256 or b"")
        if self.digests.md5 is not None:
            self.record["md5"] = b64(self.digests.md5)
        elif self.vouched_md5:
            self.record["md5"] = self.vouched_md5  # vouched for by the SHA-256 just checked
        return _finish(self.tmp, self.path, self.record, self.modified)

    def whole(self, body: bytes) -> tuple[os.stat_result, bool]:
        self.open()
        self.write(body)
        return self.finish()

    def _opened(self) -> BinaryIO:
        if self.file is None:
            raise RuntimeError("the file is not open")
        return self.file

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


def _finish(
    tmp: Path, path: Path, record: dict[str, Any], modified: datetime | None
) -> tuple[os.stat_result, bool]:
    """Stamps, records and renames the file into place: its stat, and whether the record
    was saved (the rename keeps both)."""
    if modified is not None:
        ns = int(modified.timestamp() * 1e9)
        os.utime(tmp, ns=(ns, ns))
    stat = tmp.stat()
    record["stamp"] = _stamp(stat)
    saved = True
    try:
        os.setxattr(tmp, XATTR, json.dumps(record, separators=(",", ":")).encode())
    except OSError as exc:
        if exc.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.E2BIG, errno.ENOSPC):
            raise  # no xattrs here: the body still arrives; type and metadata do not
        saved = False
    os.replace(tmp, path)
    return stat, saved


class _Download:
    """The body of one file, read in the thread pool; closed by aclose or at the end."""

    def __init__(
        self, info: ObjectInfo, file: BinaryIO, blocking: Blocking, first: bytes, *, whole: bool
    ) -> None:
        self.info = info
        self._file = file
        self._blocking = blocking
        self.chunks: AsyncIterator[bytes] = self._read(first, whole)

    async def _read(self, first: bytes, whole: bool) -> AsyncIterator[bytes]:
        """`first`, read when the file was opened, then the rest unless that was all."""
        try:
            if first:
                yield first
            while not whole:
                chunk = await self._blocking.run(self._file.read, CHUNK_SIZE)
                if chunk:
                    yield chunk
                whole = len(chunk) < CHUNK_SIZE  # a buffered read is short only at the end
        finally:
            self._file.close()

    async def aclose(self) -> None:
        await self.chunks.aclose()  # type: ignore[attr-defined]
        self._file.close()
