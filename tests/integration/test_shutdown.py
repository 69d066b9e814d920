"""The shutdown sequence of a real process: SIGTERM, an unready window in which everything else is
served as usual, then the drain and exit 0 (issue 16 item 3); and one process per `serve`
(issue 16 item 1)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.fixtures.service import AUTH_R, AUTH_W, REPO, start_server

DELAY = 2.0


def test_after_sigterm_readiness_is_503_for_the_delay_while_requests_are_served(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, {"BUCKETPORT_SHUTDOWN_DELAY_SECONDS": str(DELAY)})
    url = f"{server.url}/v1/objects/during-delay"
    try:
        assert httpx.put(url, content=b"x", headers=AUTH_W).status_code == 201
        assert httpx.get(f"{server.url}/readyz").status_code == 200
        server.process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        unready: list[float] = []
        served: list[int] = []
        with httpx.Client(timeout=5) as client:
            while True:
                try:
                    ready = client.get(f"{server.url}/readyz")
                    served.append(client.get(url, headers=AUTH_R).status_code)
                except httpx.TransportError:
                    break  # the listener is gone: the window is over
                if ready.status_code == 503:
                    assert ready.json()["code"] == "draining"
                    unready.append(time.monotonic() - sent)
                time.sleep(0.1)
        assert server.process.wait(30) == 0
    finally:
        server.stop()
    assert unready, "no probe saw the unready window"
    assert unready[-1] - unready[0] >= DELAY * 0.75, unready
    assert set(served) == {200}
    assert "Traceback" not in server.output()


def test_serve_runs_one_process(tmp_path: Path) -> None:
    """No --workers: uvicorn's worker processes would each have their own bounds, metrics and
    presign secret, and skip the shutdown sequence above."""
    result = subprocess.run(
        [sys.executable, "-m", "service", "serve", "--workers", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "No such option '--workers'" in result.stderr
    assert "--workers" not in (REPO / "README.md").read_text().replace("no `--workers`", "")
