"""SOURCE and DEST of `sync`: which store an argument names, opened and checked before any copy.

- a path (`photos`, `./photos`, `/abs/photos`): a plain directory (keys are relative paths);
- `file:///path`: the service's own store (a directory with `objects/` in it) and nothing else;
- `s3://bucket/prefix`, `gs://bucket/prefix`: a bucket, with the BUCKETPORT_* S3/GCS settings.

A source is opened read-only and never created. A destination is created on its first write,
never in a dry run. Every problem is one line naming the argument (EndpointError).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.jobs.digest_cache import DigestCache
from service.jobs.directory import DirectoryStore
from service.settings import Settings
from service.storage.base import NotFound, StorageError
from service.storage.locations import parse_storage_url
from service.storage.threads import Blocking


class EndpointError(Exception):
    """One line for the user: which argument, what is wrong with it."""

    def __init__(self, role: str, text: str, problem: str) -> None:
        super().__init__(f"{role} {text}: {problem}")


@dataclass
class Endpoint:
    role: str
    """"SOURCE" or "DEST"."""
    text: str
    store: Any
    kind: str
    """"directory", "local", "s3" or "gcs"."""

    @property
    def writes(self) -> bool:
        return self.role == "DEST"

    async def check(self, *, dry_run: bool) -> None:
        """Reachable, the bucket exists, credentials work; a real run's DEST takes a write."""
        try:
            if self.kind in ("s3", "gcs"):
                await self.store.check()
                if self.writes and not dry_run:
                    await self._probe_write()
            elif self.kind == "directory" and self.writes and not dry_run:
                _try_write(self.store.root)
            elif self.kind == "local" and self.writes and not dry_run:
                _try_write(self.store.root / "tmp")
        except StorageError as exc:
            raise EndpointError(self.role, self.text, exc.detail) from exc
        except OSError as exc:
            raise EndpointError(self.role, self.text, f"not writable ({exc.strerror})") from exc

    async def _probe_write(self) -> None:
        key = f".bucketport-sync-probe-{secrets.token_hex(6)}"

        async def empty() -> Any:
            yield b""

        await self.store.put(key, empty())
        await self.store.delete(key)


def _try_write(directory: Path) -> None:
    """A real write, not os.access (which says yes to root on a read-only mount)."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=directory):
        pass


def open_endpoint(
    role: str,
    text: str,
    settings: Settings,
    *,
    dry_run: bool,
    threads: int,
    digest_cache: DigestCache | None = None,
) -> Endpoint:
    """`digest_cache` serves a plain directory's files that have no recorded digests."""
    blocking = Blocking(threads)
    read_only = role == "SOURCE" or dry_run
    if "://" not in text:
        directory = _directory(role, text, blocking, read_only, digest_cache)
        return Endpoint(role, text, directory, "directory")
    try:
        scheme, location, _ = parse_storage_url(text)
    except ValueError as exc:
        raise EndpointError(role, text, str(exc)) from None
    if scheme == "file":
        store = _local(role, text, Path(location), blocking, read_only, settings)
        return Endpoint(role, text, store, "local")
    from service.storage.factory import open_store

    chosen = settings.model_copy(update={"storage_url": text, "storage_threads": threads})
    try:
        store = open_store(chosen)
    except StorageError as exc:
        raise EndpointError(role, text, exc.detail) from exc
    return Endpoint(role, text, store, "s3" if scheme == "s3" else "gcs")


def _directory(
    role: str, text: str, blocking: Blocking, read_only: bool, digest_cache: DigestCache | None
) -> DirectoryStore:
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise EndpointError(role, text, "not a directory")
    if role == "SOURCE" and not path.is_dir():
        raise EndpointError(role, text, "no such directory")
    if role == "SOURCE" and not os.access(path, os.R_OK | os.X_OK):
        raise EndpointError(role, text, "the directory cannot be read")
    return DirectoryStore(path, blocking=blocking, read_only=read_only, digest_cache=digest_cache)


def _local(
    role: str, text: str, root: Path, blocking: Blocking, read_only: bool, settings: Settings
) -> Any:
    from service.storage.factory import presign_secret
    from service.storage.local import LocalStore

    is_store = (root / "objects").is_dir()
    if not is_store:
        if role == "SOURCE" or (root.exists() and any(root.iterdir())):
            hint = "for a plain directory, give its path without file://"
            raise EndpointError(role, text, f"not a bucketport store (no objects/); {hint}")
        if read_only:  # a dry run into a store not made yet: it holds nothing
            return DirectoryStore(root, blocking=blocking, read_only=True)
    try:
        return LocalStore(
            root, blocking=blocking, presign_secret=presign_secret(settings), read_only=read_only
        )
    except NotFound as exc:
        raise EndpointError(role, text, exc.detail) from exc
    except OSError as exc:
        raise EndpointError(role, text, f"cannot open the store ({exc.strerror})") from exc
