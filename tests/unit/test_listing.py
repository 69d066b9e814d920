"""Listing cursors: opaque, round-tripping at every padding length, and refusing what a client
could make up (valid base64 of the wrong JSON included)."""

from __future__ import annotations

import base64
import json

import pytest

from service.storage.base import InvalidArgument
from service.storage.listing import Cursor, Entry, decode_token, encode_token, group_by_delimiter
from service.storage.remote import decode_cursor, encode_cursor


@pytest.mark.parametrize("name", ["", "a", "ab", "abc", "abcd", "abcde", "ü", "a/b/", "x" * 97])
@pytest.mark.parametrize("is_prefix", [False, True])
def test_cursors_round_trip_at_every_padding_length(name: str, is_prefix: bool) -> None:
    token = Cursor(name, is_prefix).encode()
    assert "=" not in token
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert Cursor.decode(token) == Cursor(name, is_prefix)


def test_tokens_of_every_length_mod_4_decode() -> None:
    lengths = set()
    for size in range(1, 12):
        token = encode_token("x" * size)
        lengths.add(len(token) % 4)
        assert decode_token(token) == "x" * size
    assert lengths == {0, 2, 3}  # every length unpadded base64 can have


def made_up(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        made_up("ab"),
        made_up(["a"]),
        made_up(["a", True, 1]),
        made_up({"a": 1, "b": 2}),
        made_up([1, True]),
        made_up(["a", 1]),
        made_up(["a", "true"]),
        made_up(None),
        made_up(5),
        "!!!",
        "a",
        base64.urlsafe_b64encode(b"[" * 3000).decode(),
        base64.urlsafe_b64encode(b"[" + b"9" * 5000 + b"]").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "é",
    ],
)
def test_made_up_cursors_are_refused(token: str) -> None:
    with pytest.raises(InvalidArgument, match="not one this service issued"):
        Cursor.decode(token)


def test_remote_cursors_are_bound_to_their_listing() -> None:
    cursor = encode_cursor("page-2", "a/", "/")
    assert decode_cursor(cursor, "a/", "/") == "page-2"
    for prefix, delimiter in (("b/", "/"), ("a/", None), ("", "/")):
        with pytest.raises(InvalidArgument, match="another prefix or delimiter"):
            decode_cursor(cursor, prefix, delimiter)
    for token in (
        made_up({"t": 5, "p": "a/", "d": "/"}),
        made_up({"p": "a/", "d": "/"}),
        made_up(["page-2", "a/", "/"]),
        made_up("page-2"),
        "###",
    ):
        with pytest.raises(InvalidArgument, match="not one this service issued"):
            decode_cursor(token, "a/", "/")


def test_cursor_coverage() -> None:
    key = Cursor("b/c", False)
    assert key.covers("b/c")
    assert key.covers("a")
    assert not key.covers("b/d")
    assert not key.covers("b/c/d")
    prefix = Cursor("b/", True)
    assert prefix.covers("b/zzz")
    assert prefix.covers("b/")
    assert not prefix.covers("c")
    assert prefix.passed_subtree("b/x/")
    assert not key.passed_subtree("c/")
    assert key.passed_subtree("a/")
    assert not key.passed_subtree("b/")  # "b/c" is inside: not all of b/ was returned
    assert not Cursor("b", True).passed_subtree("c/")


def test_group_by_delimiter() -> None:
    keys = ["a/1", "a/2", "b", "c/d/e", "c/f"]
    assert list(group_by_delimiter(keys, "", "/")) == [
        Entry("a/", True),
        Entry("b", False),
        Entry("c/", True),
    ]
    assert list(group_by_delimiter(["c/d/e", "c/d/g", "c/f"], "c/", "/")) == [
        Entry("c/d/", True),
        Entry("c/f", False),
    ]
    assert list(group_by_delimiter(keys, "", None)) == [Entry(key, False) for key in keys]
    assert list(group_by_delimiter(["x--y--z"], "", "--")) == [Entry("x--", True)]
