"""A Python client generated from the live server's /openapi.json (openapi-python-client, as
`make client` does) drives every object operation against a real uvicorn process."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.fixtures.service import WRITER, LiveServer, start_server

PACKAGE = "generated_bucketport_client"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("client-server"), {})
    yield live
    live.stop()


@pytest.fixture(scope="module")
def generated(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("client")
    spec = out / "openapi.json"
    spec.write_bytes(httpx.get(f"{server.url}/openapi.json").raise_for_status().content)
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--output-path",
            str(out / PACKAGE),
            "--fail-on-warning",  # a route it cannot describe is a failure, not a gap
        ],
        check=True,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        timeout=120,
    )
    sys.path.insert(0, str(out))
    yield out
    sys.path.remove(str(out))
    for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
        del sys.modules[name]


def module(name: str) -> Any:
    imported: ModuleType = importlib.import_module(f"{PACKAGE}.{name}")
    return imported


def test_generated_client_round_trip(server: LiveServer, generated: Path) -> None:
    client_module = module("client")
    objects = "api.objects."
    put_object, get_object, head_object = (
        module(objects + name) for name in ("put_object", "get_object", "head_object")
    )
    list_objects, presign, delete_object = (
        module(objects + name) for name in ("list_objects", "presign", "delete_object")
    )
    models, types = module("models"), module("types")
    body = b"0123456789" * 100
    client = client_module.AuthenticatedClient(
        base_url=server.url, token=WRITER, raise_on_unexpected_status=True
    )
    with client:
        put = put_object.sync_detailed(
            key="docs/a.bin", client=client, body=types.File(payload=BytesIO(body))
        )
        assert put.status_code == 201
        assert isinstance(put.parsed, models.ObjectInfoModel)
        assert put.parsed.size == len(body)

        ranged = get_object.sync_detailed(key="docs/a.bin", client=client, range_="bytes=10-19")
        assert ranged.status_code == 206
        assert ranged.parsed.payload.read() == body[10:20]
        assert ranged.headers["content-range"] == f"bytes 10-19/{len(body)}"

        whole = get_object.sync(key="docs/a.bin", client=client)
        assert whole.payload.read() == body

        head = head_object.sync_detailed(key="docs/a.bin", client=client)
        assert head.status_code == 200
        assert head.headers["content-length"] == str(len(body))

        page = list_objects.sync(client=client, prefix="docs/")
        assert isinstance(page, models.PageModel)
        assert [item.key for item in page.items] == ["docs/a.bin"]

        signed = presign.sync(
            client=client,
            body=models.PresignRequest(
                key="docs/a.bin", method=models.PresignRequestMethod.GET, expires_in=60
            ),
        )
        assert isinstance(signed, models.PresignResponse)
        assert httpx.get(signed.url).content == body  # no token: the URL carries it

        deleted = delete_object.sync_detailed(key="docs/a.bin", client=client)
        assert deleted.status_code == 204
        missing = get_object.sync(key="docs/a.bin", client=client)
        assert isinstance(missing, models.Problem)
        assert missing.code == "not_found"
