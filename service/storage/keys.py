"""Key rules shared by every backend (README.md, "Keys"; docs/api.md).

A key is 1..1024 UTF-8 bytes of `/`-separated segments; no segment is empty, `.` or `..`, and
no character is a control character or a backslash. These rules make a key safe to map onto a
filesystem path and identical in meaning on S3 and GCS.
"""

from __future__ import annotations

import unicodedata

from service.storage.base import InvalidKey

MAX_KEY_BYTES = 1024


def validate_key(key: str) -> str:
    """Return `key` unchanged if it follows the rules, else raise InvalidKey saying which."""
    if not key:
        raise InvalidKey("The key is empty.")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError as exc:  # lone surrogates from a lenient decoder
        raise InvalidKey("The key is not valid UTF-8.") from exc
    if size > MAX_KEY_BYTES:
        raise InvalidKey(f"The key is {size} bytes long; the limit is {MAX_KEY_BYTES}.")
    for char in key:
        if char == "\\":
            raise InvalidKey("The key contains a backslash.")
        if unicodedata.category(char) == "Cc":
            raise InvalidKey(f"The key contains the control character U+{ord(char):04X}.")
    if key.startswith("/"):
        raise InvalidKey("The key starts with '/'.")
    if key.endswith("/"):
        raise InvalidKey("The key ends with '/'.")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidKey(f"The key has an empty, '.' or '..' segment: {segment!r}.")
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix may be empty or end with '/', but otherwise follows the key rules."""
    if prefix:
        validate_key(prefix.rstrip("/") or "/")
    return prefix
