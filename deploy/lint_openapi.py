"""Lint the OpenAPI description the service serves at /openapi.json with Redocly's recommended
rules (redocly.yaml says which rule is off and why). `make lint` runs it from
.pre-commit-config.yaml; Redocly itself comes from `deploy/bin/ensure-tools redocly`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from service.app import create_app
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    spec = ROOT / "build" / "openapi.json"
    spec.parent.mkdir(exist_ok=True)
    spec.write_text(json.dumps(create_app(Settings(auth_enabled=False)).openapi(), indent=2))
    redocly = ROOT / ".tools" / "npm" / "node_modules" / ".bin" / "redocly"
    command = [str(redocly), "lint", "--format", "stylish", str(spec.relative_to(ROOT))]
    return subprocess.run(command, cwd=ROOT, check=False).returncode  # noqa: S603 (fixed argv)


if __name__ == "__main__":
    sys.exit(main())
