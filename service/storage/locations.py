"""Storage URLs: how they split, and what makes one unusable before any store is opened."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlsplit

SCHEMES = ("file", "s3", "gs")


def parse_storage_url(url: str) -> tuple[str, str, str]:
    """Split a storage URL into (scheme, bucket-or-root, prefix).

    `file://./.data` and `file:///srv/data` give the path in the second field; for s3/gs the
    prefix never starts or ends with '/'.
    """
    parts = urlsplit(url)
    if parts.scheme == "file":
        return "file", parts.netloc + parts.path, ""
    if parts.scheme in ("s3", "gs"):
        if not parts.netloc:
            raise ValueError(f"{url!r} names no bucket: use {parts.scheme}://BUCKET[/prefix]")
        return parts.scheme, parts.netloc, parts.path.strip("/")
    raise ValueError(f"{url!r}: the scheme must be file, s3 or gs")


def storage_url_problem(url: str) -> str | None:
    """Why this URL is malformed, in one sentence; None when it is well formed."""
    try:
        scheme, location, _ = parse_storage_url(url)
    except ValueError as exc:
        return str(exc)
    if scheme == "file" and not location:
        return f"{url!r} names no directory: use file:///path or file://./relative"
    return None


def writable_problem(url: str) -> str | None:
    """For a local store, make its directories and write a file there, as serving will; the
    error in one sentence, None when it works (and for the cloud stores, which are checked by
    /readyz). A real attempt, not os.access: as root that says yes to read-only mounts."""
    scheme, location, _ = parse_storage_url(url)
    if scheme != "file":
        return None
    root = Path(location)
    try:
        for sub in ("objects", "tmp"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root / "tmp"):
            pass
    except OSError as exc:
        return f"{root} is not a writable directory ({exc.strerror or exc})"
    return None
