"""Copy or mirror objects between any two stores (`python -m service sync SRC DST`).

An object is skipped when the destination already holds the same bytes, judged by a checksum
both stores know (sha256, else md5, else crc32c); with none in common it is copied again.
"""

from __future__ import annotations

import json
import sys
import time
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field

from tqdm import tqdm

from service.storage.base import DEFAULT_CONTENT_TYPE, NotFound, ObjectInfo, ObjectStore


@dataclass
class SyncReport:
    copied: int = 0
    skipped: int = 0
    deleted: int = 0
    failed: int = 0
    bytes_copied: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Shard:
    """This worker's slice of the key space: Kubernetes Indexed Jobs run index I of N."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, _, count = text.partition("/")
        shard = cls(int(index), int(count))
        if not 0 <= shard.index < shard.count:
            raise ValueError(f"shard {text!r}: need 0 <= I < N")
        return shard

    def owns(self, key: str) -> bool:
        return zlib.crc32(key.encode()) % self.count == self.index


def same_content(source: ObjectInfo, target: ObjectInfo) -> bool:
    if source.size != target.size:
        return False
    for algorithm in ("sha256", "md5", "crc32c"):
        if algorithm in source.checksums and algorithm in target.checksums:
            return source.checksums[algorithm] == target.checksums[algorithm]
    return False


async def walk(store: ObjectStore, prefix: str) -> AsyncIterator[ObjectInfo]:
    cursor = None
    while True:
        page = await store.list(prefix, cursor=cursor, limit=1000)
        for info in page.items:
            yield info
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


async def sync(
    source: ObjectStore,
    target: ObjectStore,
    *,
    prefix: str = "",
    dry_run: bool = False,
    delete: bool = False,
    shard: Shard = Shard(),
    progress: Callable[[str, ObjectInfo], None] = lambda action, info: None,
) -> SyncReport:
    report = SyncReport()
    seen: set[str] = set()
    async for info in walk(source, prefix):
        if not shard.owns(info.key):
            continue
        seen.add(info.key)
        try:
            try:
                existing: ObjectInfo | None = await target.head(info.key)
            except NotFound:
                existing = None
            if existing is not None and same_content(info, existing):
                report.skipped += 1
                progress("skip", info)
                continue
            if not dry_run:
                download = await source.get(info.key)
                try:
                    await target.put(
                        info.key,
                        download.chunks,
                        # from the GET: a listing may not carry them (S3's does not)
                        content_type=download.info.content_type or DEFAULT_CONTENT_TYPE,
                        metadata=download.info.metadata,
                    )
                finally:
                    await download.aclose()
            report.copied += 1
            report.bytes_copied += info.size
            progress("copy", info)
        except Exception as exc:  # one bad object must not stop the rest
            report.failed += 1
            report.errors.append(f"{info.key}: {exc}")
            progress("fail", info)
    if delete:
        async for info in walk(target, prefix):
            if info.key in seen or not shard.owns(info.key):
                continue
            if not dry_run:
                await target.delete(info.key)
            report.deleted += 1
            progress("delete", info)
    return report


def progress_printer() -> tuple[Callable[[str, ObjectInfo], None], Callable[[], None]]:
    """A tqdm bar on a terminal, one JSON line per object otherwise (for log collectors)."""
    if sys.stderr.isatty():
        bar = tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc="sync")

        def on_tty(action: str, info: ObjectInfo) -> None:
            bar.update(info.size if action == "copy" else 0)
            bar.set_postfix_str(f"{action} {info.key[-40:]}", refresh=False)

        return on_tty, bar.close

    def as_json(action: str, info: ObjectInfo) -> None:
        line = {"time": round(time.time(), 3), "action": action, "key": info.key, "size": info.size}
        print(json.dumps(line), file=sys.stderr, flush=True)

    return as_json, lambda: None


def summary(report: SyncReport) -> str:
    return json.dumps(asdict(report))
