"""Storage URL → adapter. The only place that knows every backend; it imports each lazily so a
process configured for one backend never loads another's SDK."""

from __future__ import annotations

import secrets
from pathlib import Path

from service.settings import Settings
from service.storage.base import ObjectStore
from service.storage.locations import parse_storage_url
from service.storage.threads import Blocking

_PROCESS_SECRET = secrets.token_bytes(32)


def presign_secret(settings: Settings) -> bytes:
    """The configured HMAC key, or a random one that lives as long as this process."""
    if settings.presign_secret is None:
        return _PROCESS_SECRET
    return settings.presign_secret.get_secret_value().encode()


def open_store(settings: Settings) -> ObjectStore:
    scheme, location, prefix = parse_storage_url(settings.storage_url)
    blocking = Blocking(settings.storage_threads)
    if scheme == "file":
        from service.storage.local import LocalStore

        return LocalStore(
            Path(location),
            blocking=blocking,
            presign_secret=presign_secret(settings),
            public_url=settings.public_url,
            lock_timeout=settings.local_lock_timeout_seconds,
            min_free_bytes=settings.local_min_free_bytes,
        )
    if scheme == "s3":
        from service.storage.s3 import S3Store

        return S3Store(
            location,
            prefix,
            blocking=blocking,
            endpoint_url=settings.s3_endpoint_url,
            public_endpoint_url=settings.s3_public_endpoint_url,
            region=settings.s3_region,
            addressing_style=settings.s3_addressing_style,
            max_attempts=settings.s3_max_attempts,
            part_size=settings.s3_part_size,
            parts_in_flight=settings.s3_parts_in_flight,
            timeout=settings.storage_timeout_seconds,
        )
    from service.storage.gcs import GcsStore

    return GcsStore(
        location,
        prefix,
        blocking=blocking,
        project=settings.gcs_project,
        signer_email=settings.gcs_signer_email,
        signing_key_file=settings.gcs_signing_key_file,
        timeout=settings.storage_timeout_seconds,
    )
