"""docs/performance.md shows the figures of bench/results/latest*.json, exactly as generated."""

from __future__ import annotations

import json

from bench import docs, suite


def test_the_figures_in_the_doc_are_the_latest_results() -> None:
    text = docs.DOC.read_text()
    assert docs.generated_block(text) == docs.render(), (
        "docs/performance.md differs from bench/results: run `python -m bench docs`"
    )


def test_every_result_is_in_the_doc_with_its_goal() -> None:
    latest = json.loads((docs.RESULTS / "latest.json").read_text())["metrics"]
    block = docs.generated_block(docs.DOC.read_text())
    for name, metric in latest.items():
        row = next(line for line in block.splitlines() if line.startswith(f"| `{name}` |"))
        assert f"**{metric['value']:g}**" in row
        assert f"{metric['target']:g}" in row


def test_the_doc_shows_nothing_the_results_do_not_hold() -> None:
    latest = json.loads((docs.RESULTS / "latest.json").read_text())["metrics"]
    block = docs.generated_block(docs.DOC.read_text())
    rows = [line for line in block.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(latest)


def test_suites_register_by_name_and_modules_under_suites_are_loaded() -> None:
    suites = suite.load_suites()
    assert {"local", "s3", "gcs", "small", "memory", "slow", "cold"} <= set(suites)
