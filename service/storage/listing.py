"""Listing helpers shared by adapters: delimiter grouping and an opaque start-after cursor."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from service.storage.base import InvalidArgument


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
        raw = json.dumps([self.name, self.is_prefix], ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            name, is_prefix = json.loads(raw)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise InvalidArgument("The cursor is not one this service issued.") from exc
        if not isinstance(name, str) or not isinstance(is_prefix, bool):
            raise InvalidArgument("The cursor is not one this service issued.")
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
