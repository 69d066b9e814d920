"""schemathesis against /openapi.json of a live server: over 1000 generated requests, no 5xx,
and every response matches the documented status codes, content types, headers and schemas."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.fixtures.service import AUTH_W, WRITER, start_server

pytestmark = pytest.mark.drill

CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_generated_requests_get_no_5xx_and_conforming_answers(tmp_path: Path) -> None:
    server = start_server(tmp_path, {"BUCKETPORT_MAX_UPLOAD_BYTES": "65536"})
    try:
        # Key "0" is what the fuzzer tries first: let it find an object there, one whose
        # bytes are not what its media type claims.
        seeded = httpx.put(
            f"{server.url}/v1/objects/0",
            content=b"\x97\x00 not json",
            headers={**AUTH_W, "Content-Type": "application/json"},
        )
        assert seeded.status_code == 201
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                *("--config-file", str(CONFIG), "run", f"{server.url}/openapi.json"),
                *("--header", f"Authorization: Bearer {WRITER}"),
                # Fuzzing only: the other phases feed every response back into generation,
                # whatever the config says, and schemathesis then crashes decoding an object
                # served under the media type it was uploaded with (say, YAML).
                *("--phases", "fuzzing", "--max-examples", "200", "--no-color"),
            ],
            check=False,
            cwd=tmp_path,  # its cache directory lands here, not in the repository
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        server.stop()
    # Long generated URLs would push the findings out of the message: cut each line short.
    report = "\n".join(line[:300] for line in (result.stdout + result.stderr).splitlines())
    assert result.returncode == 0, report[-8000:]
    assert "Traceback" not in report, report[-8000:]
    generated = re.search(r"Test cases:\s+(\d+) generated", report)
    assert generated, report[-2000:]
    assert int(generated.group(1)) >= 1000, report[-2000:]
