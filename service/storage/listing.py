"""Listing helpers shared by adapters: delimiter grouping and an opaque start-after cursor."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from service.storage.base import InvalidArgument

NOT_OURS = "The cursor is not one this service issued."


def encode_token(value: Any) -> str:
    """JSON as unpadded base64url: the shape of every cursor this service hands out."""
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str) -> Any:
    """The JSON inside a cursor, or InvalidArgument for anything a client could have made up
    (bad base64 or JSON, numbers past the parser's limit, nesting past the recursion limit)."""
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise InvalidArgument(NOT_OURS) from exc


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    is_prefix: bool


@dataclass(frozen=True, slots=True)
class Cursor:
    """The last key or common prefix a page returned; the next page starts after it."""

    name: str
    is_prefix: bool = False

    def encode(self) -> str:
        return encode_token([self.name, self.is_prefix])

    @classmethod
    def decode(cls, token: str) -> Cursor:
        fields = decode_token(token)
        if not isinstance(fields, list) or len(fields) != 2:
            raise InvalidArgument(NOT_OURS)
        name, is_prefix = fields
        if not isinstance(name, str) or not isinstance(is_prefix, bool):
            raise InvalidArgument(NOT_OURS)
        return cls(name, is_prefix)

    def covers(self, name: str) -> bool:
        """True when `name` was already returned on an earlier page."""
        return name <= self.name or (self.is_prefix and name.startswith(self.name))

    def passed_subtree(self, subtree: str) -> bool:
        """True when every key starting with `subtree` was already returned."""
        if self.is_prefix and subtree.startswith(self.name):
            return True
        return self.name > subtree and not self.name.startswith(subtree)


def group_by_delimiter(keys: Iterable[str], prefix: str, delimiter: str | None) -> Iterator[Entry]:
    """Collapse sorted keys that share `prefix` + text + `delimiter` into one common prefix."""
    last_prefix = None
    for key in keys:
        if delimiter:
            cut = key.find(delimiter, len(prefix))
            if cut >= 0:
                common = key[: cut + len(delimiter)]
                if common != last_prefix:
                    last_prefix = common
                    yield Entry(common, True)
                continue
        yield Entry(key, False)
