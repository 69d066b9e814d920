"""Digests of plain files that sync has read before, kept outside their directory.

A directory that is a SOURCE is never written to, so the SHA-256 or MD5 of its files cannot be
recorded beside them as a destination's are: without this, every re-run reads and hashes every
file again (about a third of a no-change re-run's CPU). An entry is found by device and inode
and used only while size, mtime and ctime are still the ones it was computed for: rewriting a
file changes its ctime, which no program can set back. A file changed less than two seconds
before it was hashed is not remembered, as git does for its index: on a filesystem with coarse
timestamps a second write in the same tick would leave all three unchanged.

The cache is one SQLite file. It only saves work, so when it cannot be opened or used it is off
for the run and the sync goes on hashing; a dry run only reads it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

RACY_NS = 2_000_000_000
FLUSH_EVERY = 1000
"""Writes wait in memory and reach the file together, in one transaction, this many at a time
(and at close): a commit per file was a write to the file per file copied."""
SCHEMA = """
CREATE TABLE IF NOT EXISTS digests (
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    sha256 TEXT,
    md5 TEXT,
    PRIMARY KEY (dev, ino)
);
CREATE INDEX IF NOT EXISTS digests_by_sha256 ON digests (sha256);
"""


def default_path() -> Path:
    import platformdirs

    return platformdirs.user_cache_path("bucketport") / "digests.sqlite3"


class DigestCache:
    """Thread-safe: the directory store hashes in its thread pool."""

    def __init__(self, connection: sqlite3.Connection, *, writable: bool) -> None:
        self._db = connection
        self._writable = writable
        self._db_lock = threading.Lock()
        # Its own lock: queueing a write never waits on the file (nor on another process).
        self._pending_lock = threading.Lock()
        self._pending: list[tuple[str, tuple[Any, ...]]] = []

    @classmethod
    def open(cls, path: Path, *, writable: bool) -> DigestCache | None:
        """The cache at `path` (created if `writable`), or None if it cannot be used."""
        try:
            if not writable:
                connection = sqlite3.connect(
                    f"{path.absolute().as_uri()}?mode=ro", uri=True, check_same_thread=False
                )
                connection.execute("SELECT 1 FROM digests LIMIT 1")
                return cls(connection, writable=False)
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            connection.execute("PRAGMA busy_timeout = 5000")  # shards on one machine share it
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = OFF")  # a lost entry costs one hash
            connection.executescript(SCHEMA)
            return cls(connection, writable=True)
        except (OSError, sqlite3.Error, ValueError):
            return None

    def get(self, stat: os.stat_result) -> dict[str, str]:
        """The digests known for this file as it is now ({} if none)."""
        try:
            with self._db_lock:
                row = self._db.execute(
                    "SELECT sha256, md5 FROM digests WHERE dev = ? AND ino = ? AND size = ?"
                    " AND mtime_ns = ? AND ctime_ns = ?",
                    _stamp(stat),
                ).fetchone()
        except sqlite3.Error:
            return {}
        if row is None:
            return {}
        return {name: value for name, value in zip(("sha256", "md5"), row, strict=True) if value}

    def put(self, stat: os.stat_result, digests: Mapping[str, str]) -> None:
        """Remember `digests`, every digest known of the file as `stat` describes it (the
        caller has read what the cache held: the entry is replaced, not read again)."""
        if not self._writable or time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) < RACY_NS:
            return
        row = (*_stamp(stat), digests.get("sha256"), digests.get("md5"))
        if self._queue("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?, ?, ?)", row):
            self.flush()

    def vouch(self, sha256: str, md5: str) -> bool:
        """`md5` is the MD5 of the bytes whose SHA-256 is `sha256` (a store reported it for
        a body it checked against that SHA-256): the files cached with that SHA-256 get it.
        Only queued, so that it can be called anywhere: True when `flush` is due."""
        if not self._writable:
            return False
        sql = "UPDATE digests SET md5 = ? WHERE sha256 = ? AND md5 IS NULL"
        return self._queue(sql, (md5, sha256))

    def _queue(self, sql: str, row: tuple[Any, ...]) -> bool:
        with self._pending_lock:
            self._pending.append((sql, row))
            return len(self._pending) >= FLUSH_EVERY

    def flush(self) -> None:
        """The queued writes, in order, in one transaction (blocking)."""
        with self._pending_lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        with self._db_lock:
            try:
                self._db.execute("BEGIN")
                for sql, row in pending:
                    self._db.execute(sql, row)
                self._db.execute("COMMIT")
            except sqlite3.Error:  # lost: they cost a hash each next time
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")

    def close(self) -> None:
        if self._writable:
            self.flush()
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


def _stamp(stat: os.stat_result) -> tuple[int, int, int, int, int]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
