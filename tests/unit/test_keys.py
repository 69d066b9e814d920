import re

import pytest

from service.storage.base import InvalidKey
from service.storage.keys import MAX_KEY_BYTES, validate_key, validate_prefix


@pytest.mark.parametrize(
    "key",
    ["a", "a/b/c.txt", "dir/sub dir/ü-ñ.bin", "x" * MAX_KEY_BYTES, "a.b/c..d/.e", "%2e%2e"],
)
def test_valid_keys_pass_unchanged(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("/abs", "starts with '/'"),
        ("dir/", "ends with '/'"),
        ("a//b", "empty, '.' or '..'"),
        ("../etc/passwd", "empty, '.' or '..'"),
        ("a/./b", "empty, '.' or '..'"),
        ("a/..", "empty, '.' or '..'"),
        ("a\\b", "backslash"),
        ("nul\x00byte", "U+0000"),
        ("new\nline", "U+000A"),
        ("del\x7f", "U+007F"),
        ("c1\x85", "U+0085"),
        ("x" * (MAX_KEY_BYTES + 1), "limit is 1024"),
        ("é" * 513, "1026 bytes"),
        ("\udc80", "UTF-8"),
    ],
)
def test_invalid_keys_say_why(key: str, reason: str) -> None:
    with pytest.raises(InvalidKey, match=re.escape(reason)):
        validate_key(key)


@pytest.mark.parametrize("prefix", ["", "a/", "a/b", "photos/2026-"])
def test_prefixes_may_end_with_slash(prefix: str) -> None:
    assert validate_prefix(prefix) == prefix


@pytest.mark.parametrize("prefix", ["/a", "../", "a/../", "a\\"])
def test_prefixes_follow_key_rules(prefix: str) -> None:
    with pytest.raises(InvalidKey):
        validate_prefix(prefix)
