"""No key, and no symlink planted inside the store root, reaches a file outside it."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.service import AUTH_R, AUTH_W
from tests.integration.test_objects import put


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "secret.o").write_bytes(b"top secret")
    (directory / "target").write_bytes(b"do not touch")
    return directory


def test_planted_directory_symlink_is_not_followed(
    client: TestClient, store_root: Path, outside: Path
) -> None:
    (store_root / "objects" / "evil.d").symlink_to(outside, target_is_directory=True)
    assert client.get("/v1/objects/evil/secret", headers=AUTH_R).status_code == 404
    assert client.head("/v1/objects/evil/secret", headers=AUTH_R).status_code == 404
    written = put(client, "evil/new", b"escaped?")
    assert written.status_code == 400
    assert written.json()["code"] == "invalid_key"
    assert client.delete("/v1/objects/evil/secret", headers=AUTH_W).status_code == 204
    assert sorted(p.name for p in outside.iterdir()) == ["secret.o", "target"]
    assert (outside / "secret.o").read_bytes() == b"top secret"
    listed = client.get("/v1/objects", headers=AUTH_R).json()
    assert listed["items"] == []
    assert listed["prefixes"] == []


def test_planted_file_symlink_is_not_followed(
    client: TestClient, store_root: Path, outside: Path
) -> None:
    (store_root / "objects" / "link.o").symlink_to(outside / "target")
    assert client.get("/v1/objects/link", headers=AUTH_R).status_code == 404
    replaced = put(client, "link", b"new body")
    assert replaced.status_code == 201, "the link is replaced, never written through"
    assert (outside / "target").read_bytes() == b"do not touch"
    assert not (store_root / "objects" / "link.o").is_symlink()
    assert client.get("/v1/objects/link", headers=AUTH_R).content == b"new body"


def test_overlong_segments_are_refused_cleanly(client: TestClient, store_root: Path) -> None:
    response = put(client, "a/" + "s" * 300, b"x")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_key"
    assert list((store_root / "tmp").iterdir()) == []


def test_keys_that_look_like_store_internals_stay_inside(
    client: TestClient, store_root: Path
) -> None:
    for key in ("tmp/x", ".lock", "objects/y", "a.d/b.o", "..."):
        assert put(client, key, key.encode()).status_code == 201
        assert client.get(f"/v1/objects/{key}", headers=AUTH_R).content == key.encode()
    assert sorted(p.name for p in store_root.iterdir()) == [".lock", "objects", "tmp"]
    assert list((store_root / "tmp").iterdir()) == []
