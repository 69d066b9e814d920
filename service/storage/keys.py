"""Key rules shared by every backend (README.md, "Keys"; docs/api.md).

A key is 1..1024 UTF-8 bytes of `/`-separated segments; no segment is empty, `.` or `..`, and
no character is a control character or a backslash. These rules make a key safe to map onto a
filesystem path and identical in meaning on S3 and GCS.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote_to_bytes

from service.storage.base import InvalidKey

MAX_KEY_BYTES = 1024


def decode_wire(raw: bytes, what: str = "key") -> str:
    """Text as it came on the wire (percent-encoded bytes) decoded as strict UTF-8.

    A lenient decoder turns every invalid sequence (a lone %E9, an overlong %C0%AF, a stray
    continuation byte, an encoded surrogate) into U+FFFD, so distinct byte strings would name
    one object. Keys are therefore judged on their raw bytes: anything not valid UTF-8 is
    InvalidKey.
    """
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidKey(f"The {what} is not valid UTF-8.") from exc


def validate_key(key: str) -> str:
    """Return `key` unchanged if it follows the rules, else raise InvalidKey saying which."""
    if not key:
        raise InvalidKey("The key is empty.")
    if key.endswith("/"):
        raise InvalidKey("The key ends with '/'.")
    _check_text(key, "key")
    for segment in key.split("/"):
        _check_segment(segment, "key")
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix is any start of a valid key: empty, ending in '/', or ending in part of
    a segment (so 'dot/.' and 'dot/..' are prefixes of the keys 'dot/.env' and 'dot/..x').
    Only its complete segments, those followed by '/', must follow the segment rules."""
    if prefix:
        _check_text(prefix, "prefix")
        for segment in prefix.split("/")[:-1]:
            _check_segment(segment, "prefix")
    return prefix


def _check_text(text: str, what: str) -> None:
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:  # lone surrogates from a lenient decoder
        raise InvalidKey(f"The {what} is not valid UTF-8.") from exc
    if size > MAX_KEY_BYTES:
        raise InvalidKey(f"The {what} is {size} bytes long; the limit is {MAX_KEY_BYTES}.")
    for char in text:
        if char == "\\":
            raise InvalidKey(f"The {what} contains a backslash.")
        if unicodedata.category(char) == "Cc":
            raise InvalidKey(f"The {what} contains the control character U+{ord(char):04X}.")
    if text.startswith("/"):
        raise InvalidKey(f"The {what} starts with '/'.")


def _check_segment(segment: str, what: str) -> None:
    if segment in ("", ".", ".."):
        raise InvalidKey(f"The {what} has an empty, '.' or '..' segment: {segment!r}.")
