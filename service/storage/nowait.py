"""File calls that never wait for the disk: they answer from the kernel's caches or say no.

The local store serves small reads in the event loop with these, and hands everything they
refuse to its thread pool. A cold page cache or a cold dentry cache therefore costs a thread
hop, never a stalled loop:
- `open_cached` is openat2(2) with RESOLVE_CACHED (Linux 5.12): the path lookup fails with
  EAGAIN instead of reading a directory from disk. A plain open(2) has no such mode, and a
  lookup that misses the dentry cache blocks on disk I/O for as long as the disk takes.
- `read_cached` is preadv2(2) with RWF_NOWAIT (Python's `os.preadv` with flags): EAGAIN, or a
  short read, when the bytes are not all in the page cache.
Where a kernel, a seccomp profile or a filesystem refuses either call, `available` turns false
and the store stops trying (every read then takes the thread pool, as before).
"""

from __future__ import annotations

import ctypes
import errno
import os

_SYS_OPENAT2 = {"x86_64": 437, "aarch64": 437}.get(os.uname().machine)
# linux/openat2.h: RESOLVE_NO_MAGICLINKS 0x02, RESOLVE_NO_SYMLINKS 0x04, RESOLVE_BENEATH 0x08,
# RESOLVE_CACHED 0x20. No symlink anywhere on the way and nothing outside `dir_fd`: what the
# store's walk with O_NOFOLLOW per component guarantees, in one call.
BENEATH_NO_SYMLINKS = 0x02 | 0x04 | 0x08
_RESOLVE_CACHED = 0x20
_UNSUPPORTED = (errno.ENOSYS, errno.EPERM, errno.EINVAL, errno.EOPNOTSUPP, errno.E2BIG)


class _OpenHow(ctypes.Structure):
    _fields_ = (("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64))


class WouldBlock(Exception):
    """The answer is not in the kernel's caches (or these calls are unavailable): use a thread."""


class NoWait:
    """The two calls, with a switch that remembers when the system refuses them."""

    def __init__(self) -> None:
        self.available = _SYS_OPENAT2 is not None and hasattr(os, "RWF_NOWAIT")
        self._syscall = ctypes.CDLL(None, use_errno=True).syscall if self.available else None

    def _refused(self, err: int) -> WouldBlock:
        if err in _UNSUPPORTED:
            self.available = False
        return WouldBlock(os.strerror(err))

    def open_cached(self, path: bytes, flags: int, resolve: int = 0, dir_fd: int = -100) -> int:
        """openat2 without disk I/O; OSError as open(2) raises it, WouldBlock for a cache miss.

        `dir_fd` -100 is AT_FDCWD (for an absolute `path`).
        """
        if not self.available or self._syscall is None:
            raise WouldBlock("openat2 is unavailable")
        how = _OpenHow(flags, 0, resolve | _RESOLVE_CACHED)
        fd = int(self._syscall(_SYS_OPENAT2, dir_fd, path, ctypes.byref(how), ctypes.sizeof(how)))
        if fd >= 0:
            return fd
        err = ctypes.get_errno()
        if err == errno.EAGAIN or err in _UNSUPPORTED:
            raise self._refused(err)
        raise OSError(err, os.strerror(err), path.decode(errors="replace"))

    def read_cached(self, fd: int, size: int, offset: int = 0) -> bytes:
        """Exactly `size` bytes at `offset` from the page cache, else WouldBlock."""
        buffer = bytearray(size)
        try:
            got = os.preadv(fd, [buffer], offset, os.RWF_NOWAIT)
        except OSError as exc:
            raise self._refused(exc.errno or 0) from exc
        if got != size:
            raise WouldBlock("short read")  # part of it is not cached (or the file shrank)
        return bytes(buffer)
