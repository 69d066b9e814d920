"""Signed URLs for the local store: HMAC-SHA256 over method, key, expiry and content type.

The service itself verifies them (S3 and GCS verify their own), so the format only has to be
stable between this module's two functions.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote, urlencode

EXPIRES = "X-Bucketport-Expires"
SIGNATURE = "X-Bucketport-Signature"


def _digest(secret: bytes, method: str, key: str, expires: int, content_type: str) -> str:
    message = "\n".join((method, key, str(expires), content_type)).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign(
    secret: bytes, method: str, key: str, expires: int, content_type: str | None = None
) -> str:
    """The path and query of a URL that allows `method` on `key` until `expires` (unix time)."""
    signature = _digest(secret, method, key, expires, content_type or "")
    query = urlencode({EXPIRES: expires, SIGNATURE: signature})
    return f"/v1/objects/{quote(key, safe='/')}?{query}"


def verify(
    secret: bytes,
    method: str,
    key: str,
    expires: str,
    signature: str,
    *,
    content_type: str | None,
    now: float | None = None,
) -> str | None:
    """None when the signature holds, otherwise the reason it does not."""
    try:
        expiry = int(expires)
    except ValueError:
        return "The expiry is not a number."
    if expiry < (time.time() if now is None else now):
        return "The signed URL has expired."
    # HEAD rides on a GET signature, as it does on S3 and GCS.
    signed_method = "GET" if method == "HEAD" else method
    # A URL signed without a content type accepts any; one signed with it needs that one.
    for signed_type in {"", content_type or ""}:
        expected = _digest(secret, signed_method, key, expiry, signed_type)
        if hmac.compare_digest(expected, signature):
            return None
    return "The signature does not match this method, key, expiry and content type."
