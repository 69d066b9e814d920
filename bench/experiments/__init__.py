"""Experiments behind docs/performance.md's explanations of the goals still short: each one
bounds what is reachable here. Not part of `make bench`; run one with
`.venv/bin/python -m bench.experiments.<name>`."""

from __future__ import annotations

import psutil


def cpu_seconds(process: psutil.Process) -> float:
    """User plus system CPU time the process has used so far."""
    times = process.cpu_times()
    return float(times.user + times.system)


def listening_child(url: str) -> psutil.Process:
    """The process started by this one (at any depth) that listens on the port of `url`."""
    port = int(url.split(":")[2].split("/", maxsplit=1)[0])
    for child in psutil.Process().children(recursive=True):
        if any(c.laddr.port == port for c in child.net_connections("tcp")):
            return child
    raise RuntimeError(f"no child listens on {port}")
