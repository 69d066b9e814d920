"""checkov over terraform/: it really ran, nothing failed, every skip says why."""

from __future__ import annotations

from typing import Any


def test_checkov_ran_over_every_resource(checkov_report: dict[str, Any]) -> None:
    summary = checkov_report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] >= 30, summary
    assert summary["passed"] >= 100, summary


def test_checkov_finds_no_failures(checkov_report: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
        for c in checkov_report["results"].get("failed_checks", [])
    ]
    assert not failed, "\n".join(failed)
    summary = checkov_report["summary"]
    assert summary["failed"] == 0, summary


def test_every_skip_has_a_reason(checkov_report: dict[str, Any]) -> None:
    skipped = checkov_report["results"].get("skipped_checks", [])
    assert skipped, "expected the documented inline skips"
    for check in skipped:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason) > 20, (
            f"{check['check_id']} on {check['resource']} skipped without reason"
        )
