"""Results out: bench/results/latest.json (the issue's format), a detail file, a plot, a table.

A quick run writes quick.*, a run of some suites partial.*; only a full run is `latest`."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from bench.suite import Metric

RESULTS = Path(__file__).parent / "results"


def machine() -> dict[str, Any]:
    import psutil

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def write(metrics: dict[str, Metric], mode: str, out: Path = RESULTS, stem: str = "latest") -> None:
    """`<stem>.json` (the issue's format), `<stem>-detail.json` and `<stem>.png` in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    latest = {
        name: {"value": m.value, "unit": m.unit, "baseline": m.baseline, "target": m.target}
        for name, m in metrics.items()
    }
    (out / f"{stem}.json").write_text(json.dumps({"metrics": latest}, indent=2) + "\n")
    detail = {
        "mode": mode,
        "machine": machine(),
        "metrics": {
            name: {"met": m.met, "higher_is_better": m.higher_is_better, **m.detail}
            for name, m in metrics.items()
        },
    }
    (out / f"{stem}-detail.json").write_text(json.dumps(detail, indent=2) + "\n")
    plot(metrics, mode, out / f"{stem}.png")


def plot(metrics: dict[str, Metric], mode: str, path: Path) -> None:
    """One bar per metric: how far it is past its target (>= 1 means met)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(metrics)[::-1]
    scores = [
        m.value / m.target if m.higher_is_better else m.target / max(m.value, 1e-9)
        for m in (metrics[n] for n in names)
    ]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(names) + 1.4))
    colors = ["tab:green" if metrics[n].met else "tab:red" for n in names]
    ax.barh(names, scores, color=colors)
    ax.axvline(1.0, color="black", linewidth=1)
    for y, name in enumerate(names):
        m = metrics[name]
        sign = ">=" if m.higher_is_better else "<="
        ax.text(
            scores[y], y, f" {m.value:g} {m.unit} ({sign} {m.target:g})", va="center", fontsize=8
        )
    ax.set_xlabel("value relative to target (right of the line: target met)")
    ax.set_xlim(0, max(max(scores, default=0) * 1.45, 1.6))
    ax.set_title(f"bucketport benchmarks ({mode} run)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def table(metrics: dict[str, Metric]) -> str:
    rows = [("metric", "value", "unit", "target", "met", "detail")]
    for name, m in metrics.items():
        sign = ">=" if m.higher_is_better else "<="
        detail = ", ".join(f"{k}={v}" for k, v in m.detail.items() if k != "first_errors")
        rows.append(
            (name, f"{m.value:g}", m.unit, f"{sign} {m.target:g}", "yes" if m.met else "NO", detail)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[5]
        for row in rows
    ]
    return "\n".join(lines)
