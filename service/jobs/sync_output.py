"""What `sync` shows: a progress bar on a terminal, JSON events on stdout otherwise.

Off a terminal every object gets one JSON line on stdout (`action`, `key`, `size`, `dry_run`,
`time` in RFC 3339), failures also a plain line on stderr, and the run ends with one summary
line (`"summary": true`). On a terminal a tqdm bar shows objects and bytes done of the totals
found so far (they grow while listing runs), percent, rate and ETA, advancing as bytes move.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

from service.jobs.sync import Event, SyncReport
from service.storage.base import ObjectInfo

BAR_FORMAT = (
    "{desc} objects | {n_fmt}B/{total_fmt}B | {percentage:3.0f}% |{bar:16}| "
    "{rate_fmt} | ETA {remaining}"
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLines:
    """One JSON event per object on stdout (keys unescaped), errors on stderr."""

    def __init__(self, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.out, self.err = out, err

    def found(self, info: ObjectInfo) -> None:
        pass

    def moved(self, size: int) -> None:
        pass

    def finished(self, event: Event) -> None:
        line: dict[str, Any] = {
            "time": now(),
            "action": event.action,
            "key": event.key,
            "size": event.size,
            "dry_run": event.dry_run,
        }
        if event.verified:
            line["verified"] = event.verified
        if event.error:
            line["error"] = event.error
            print(f"sync: {event.key}: {event.error}", file=self.err, flush=True)
        print(json.dumps(line, ensure_ascii=False), file=self.out, flush=True)

    def close(self, report: SyncReport, seconds: float) -> None:
        print(json.dumps(summary(report, seconds), ensure_ascii=False), file=self.out, flush=True)


class Bar:
    """A tqdm bar over bytes, with the object count beside it."""

    def __init__(self, dry_run: bool) -> None:
        self.dry_run = dry_run
        self.objects = 0
        self.done = 0
        from tqdm import tqdm  # only on a terminal

        self.bar = tqdm(
            total=0,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc="would sync 0/0" if dry_run else "sync 0/0",
            bar_format=BAR_FORMAT,
            dynamic_ncols=True,
            mininterval=0.2,
        )
        self._show()

    def _show(self) -> None:
        verb = "would sync" if self.dry_run else "sync"
        self.bar.set_description_str(f"{verb} {self.done}/{self.objects}", refresh=False)

    def found(self, info: ObjectInfo) -> None:
        self.objects += 1
        self.bar.total = (self.bar.total or 0) + info.size
        self._show()

    def moved(self, size: int) -> None:
        self.bar.update(size)

    def finished(self, event: Event) -> None:
        if not event.action.endswith("delete"):
            self.done += 1
            self._show()
        if event.error:
            self.bar.write(f"failed: {event.key}: {event.error}", file=sys.stderr)
        elif event.action.startswith("would"):
            self.bar.write(f"{event.action} {event.key} ({_size(event.size)})")
        self.bar.refresh()

    def close(self, report: SyncReport, seconds: float) -> None:
        self.bar.refresh()
        self.bar.close()
        print(human(report, seconds))


def summary(report: SyncReport, seconds: float) -> dict[str, Any]:
    copy, delete = ("would_copy", "would_delete") if report.dry_run else ("copied", "deleted")
    return {
        "time": now(),
        "summary": True,
        "dry_run": report.dry_run,
        copy: report.copied,
        delete: report.deleted,
        "skipped": report.skipped,
        "failed": report.failed,
        "bytes": report.bytes_copied,
        "seconds": round(seconds, 3),
    }


def human(report: SyncReport, seconds: float) -> str:
    if report.dry_run:
        head = f"dry run: would copy {report.copied} ({_size(report.bytes_copied)}), "
        head += f"would delete {report.deleted}"
    else:
        head = f"copied {report.copied} ({_size(report.bytes_copied)}), deleted {report.deleted}"
    return f"{head}, skipped {report.skipped}, failed {report.failed} in {seconds:.1f}s"


def _size(size: int) -> str:
    from tqdm import tqdm

    return tqdm.format_sizeof(size, "B", 1024)


def output(dry_run: bool, json_lines: bool) -> JsonLines | Bar:
    """The bar when stdout is a terminal (unless JSON was asked for), JSON lines otherwise."""
    if sys.stdout.isatty() and not json_lines:
        return Bar(dry_run)
    return JsonLines()


def clock() -> float:
    return time.monotonic()
