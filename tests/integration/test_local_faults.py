"""The local store under hostile or failing filesystems: planted FIFOs, a held lock, deep keys
with few descriptors, refused writes, a full / read-only / vanished disk, leftover uploads and
directory fsyncs. Each case once hung, leaked or answered 500."""

from __future__ import annotations

import fcntl
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.storage.base import BackendUnavailable
from service.storage.local import LocalStore
from service.storage.threads import Blocking
from tests.fixtures.service import AUTH_W, LiveServer, start_server

MIB = 1024 * 1024
DEEP_KEY = "/".join(["d"] * 511 + ["x"])  # 512 segments, 1023 bytes


def objects_dir(root: Path) -> Path:
    return root / "objects"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(tmp_path, {"BUCKETPORT_LOCAL_LOCK_TIMEOUT_SECONDS": "1"})
    yield server
    if server.process.poll() is None:
        server.process.kill()  # a hung storage thread would keep a drain waiting
        server.process.wait(10)


def live_root(tmp_path: Path) -> Path:
    return tmp_path / "live-store"  # where start_server puts the store


def test_fifo_planted_as_an_object_is_absent_and_never_hangs(
    live: LiveServer, tmp_path: Path
) -> None:
    root = live_root(tmp_path)
    (objects_dir(root) / "pipe.d").mkdir()
    os.mkfifo(objects_dir(root) / "pipe.d" / "x.o")
    url = live.url + "/v1/objects/pipe/x"
    with httpx.Client(headers=AUTH_W, timeout=5) as http:
        assert http.get(url).status_code == 404
        assert http.head(url).status_code == 404
        listing = http.get(live.url + "/v1/objects", params={"prefix": "pipe/"}).json()
        assert listing["items"] == []
        # The write replaces the entry, and the process keeps writing afterwards.
        assert http.put(url, content=b"real").status_code == 201
        assert http.get(url).content == b"real"
        assert http.put(live.url + "/v1/objects/other", content=b"x").status_code == 201
        assert http.get(live.url + "/readyz").status_code == 200


def test_fifo_as_lock_file_gives_503_not_a_hang(live: LiveServer, tmp_path: Path) -> None:
    root = live_root(tmp_path)
    (root / ".lock").unlink()
    os.mkfifo(root / ".lock")
    with httpx.Client(headers=AUTH_W, timeout=5) as http:
        response = http.put(live.url + "/v1/objects/k", content=b"x")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert http.get(live.url + "/readyz").status_code == 503


def test_commit_lock_held_elsewhere_gives_503_within_the_deadline(
    live: LiveServer, tmp_path: Path
) -> None:
    root = live_root(tmp_path)
    with open(root / ".lock", "rb") as lock, httpx.Client(headers=AUTH_W, timeout=10) as http:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process in the middle of a commit
        started = time.monotonic()
        response = http.put(live.url + "/v1/objects/k", content=b"x")
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "backend_unavailable"
        assert time.monotonic() - started < 8
        assert http.delete(live.url + "/v1/objects/k").status_code == 503
        fcntl.flock(lock, fcntl.LOCK_UN)
        assert http.put(live.url + "/v1/objects/k", content=b"x").status_code == 201
    assert not list((root / "tmp").iterdir())


def test_deep_keys_work_under_a_low_descriptor_limit(live: LiveServer, tmp_path: Path) -> None:
    # 512 segments once held 513 descriptors per request; 200 is far below that.
    resource.prlimit(live.process.pid, resource.RLIMIT_NOFILE, (200, 200))
    url = live.url + "/v1/objects/" + DEEP_KEY
    with httpx.Client(headers=AUTH_W, timeout=30) as http:
        assert http.put(url, content=b"deep").status_code == 201
        assert http.get(url).content == b"deep"
        assert http.head(url).status_code == 200
        listing = http.get(live.url + "/v1/objects", params={"prefix": "d/d/"}).json()
        assert [item["key"] for item in listing["items"]] == [DEEP_KEY]
        assert http.delete(url).status_code == 204
        assert http.get(url).status_code == 404
    assert list(objects_dir(live_root(tmp_path)).iterdir()) == []


def test_refused_writes_leave_no_directories(client: TestClient, store_root: Path) -> None:
    client.put("/v1/objects/keep", content=b"k", headers=AUTH_W)
    assert (
        client.put(
            "/v1/objects/ph1/a/b", content=b"x", headers={**AUTH_W, "If-Match": '"nope"'}
        ).status_code
        == 412
    )
    assert (
        client.put(
            "/v1/objects/ph2/a/b",
            content=b"x",
            headers={**AUTH_W, "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="},
        ).status_code
        == 400
    )
    listing = client.get("/v1/objects", params={"delimiter": "/"}, headers=AUTH_W).json()
    assert listing["prefixes"] == []
    assert sorted(p.name for p in objects_dir(store_root).iterdir()) == ["keep.o"]


def test_directories_are_fsynced_after_mkdir_and_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    store = LocalStore(tmp_path, blocking=Blocking(2), presign_secret=b"k" * 32)
    objects = str(objects_dir(tmp_path.resolve()))
    monkeypatch.setattr(os, "fsync", fsync)

    async def scenario() -> None:
        await store.put("a/b/c", one(b"x"))
        assert objects in synced  # made a.d
        assert objects + "/a.d" in synced  # made b.d
        assert objects + "/a.d/b.d" in synced  # renamed c.o into it
        synced.clear()
        await store.delete("a/b/c")
        assert objects + "/a.d/b.d" in synced or objects + "/a.d" in synced

    anyio.run(scenario)


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


# -- leftovers from killed uploads ----------------------------------------------------------

HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(600)
"""


def hold(path: Path) -> subprocess.Popen[bytes]:
    """A process holding `path` as an upload in progress does, until it is killed."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline() == b"held\n"
    return process


def age(path: Path, seconds: float = 3600) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_leftover_uploads_are_removed_at_start_unless_a_live_process_holds_them(
    tmp_path: Path,
) -> None:
    LocalStore(tmp_path, blocking=Blocking(2), presign_secret=b"k" * 32)
    tmp = tmp_path / "tmp"
    killed, alive = tmp / "upload-killed", tmp / "upload-alive"
    dead = hold(killed)
    living = hold(alive)
    try:
        dead.send_signal(signal.SIGKILL)
        dead.wait()
        for path in (killed, alive):
            age(path)  # an hour old: both would survive the old 24-hour rule
        LocalStore(tmp_path, blocking=Blocking(2), presign_secret=b"k" * 32)
        assert sorted(p.name for p in tmp.iterdir()) == ["upload-alive"]
    finally:
        living.kill()
        living.wait()


def test_leftover_uploads_are_swept_periodically_and_live_ones_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("service.storage.local.SWEEP_INTERVAL_SECONDS", 0.0)
    store = LocalStore(tmp_path, blocking=Blocking(4), presign_secret=b"k" * 32)
    tmp = tmp_path / "tmp"

    async def scenario() -> None:
        sent = anyio.Event()
        finish = anyio.Event()

        async def slow_body() -> AsyncIterator[bytes]:
            yield b"first half "
            sent.set()
            await finish.wait()
            yield b"second half"

        async with anyio.create_task_group() as group:
            results: list[object] = []

            async def upload() -> None:
                results.append(await store.put("slow", slow_body()))

            group.start_soon(upload)
            await sent.wait()
            (in_progress,) = tmp.iterdir()
            age(in_progress)
            leftover = tmp / "upload-leftover"
            leftover.write_bytes(b"from a process that died")
            age(leftover)
            await store.check()  # readiness probes drive the periodic sweep
            assert sorted(tmp.iterdir()) == [in_progress]
            finish.set()
        download = await store.get("slow")
        assert b"".join([chunk async for chunk in download.chunks]) == b"first half second half"

    anyio.run(scenario)


# -- full, read-only and missing storage (real filesystems; needs root to mount) -------------


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mount = tmp_path / "fs"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=False
    )
    if done.returncode != 0:
        pytest.skip("this machine cannot mount tmpfs")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


@pytest.fixture
def fs_client(
    small_fs: Path, make_settings: Callable[..., Settings]
) -> Iterator[tuple[TestClient, Path]]:
    settings = make_settings(
        storage_url=f"file://{small_fs}/store",
        max_upload_bytes=64 * MIB,
        local_min_free_bytes=4 * MIB,
        readiness_cache_seconds=0,
    )
    with TestClient(create_app(settings)) as client:
        yield client, small_fs / "store"


def test_disk_full_is_507_stores_nothing_and_keeps_serving(
    fs_client: tuple[TestClient, Path],
) -> None:
    client, root = fs_client
    keep = os.urandom(MIB)
    assert client.put("/v1/objects/keep", content=keep, headers=AUTH_W).status_code == 201
    response = client.put("/v1/objects/big/one", content=os.urandom(20 * MIB), headers=AUTH_W)
    assert response.status_code == 507
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "insufficient_storage"
    assert client.get("/v1/objects/big/one", headers=AUTH_W).status_code == 404
    assert list((root / "tmp").iterdir()) == []
    assert not (root / "objects" / "big.d").exists()
    assert client.get("/v1/objects/keep", headers=AUTH_W).content == keep
    assert client.get("/readyz").status_code == 200  # the space came back


def test_readiness_fails_under_the_free_space_threshold(
    small_fs: Path, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        storage_url=f"file://{small_fs}/store",
        local_min_free_bytes=32 * MIB,  # more than the whole filesystem
        readiness_cache_seconds=0,
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "LOCAL_MIN_FREE_BYTES" in response.json()["detail"]


def test_read_only_filesystem_is_503_for_writes_and_reads_still_work(
    fs_client: tuple[TestClient, Path], small_fs: Path
) -> None:
    client, _ = fs_client
    assert client.put("/v1/objects/keep", content=b"kept", headers=AUTH_W).status_code == 201
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    response = client.put("/v1/objects/new", content=b"x", headers=AUTH_W)
    assert response.status_code == 503
    assert response.json()["code"] == "backend_unavailable"
    assert client.delete("/v1/objects/keep", headers=AUTH_W).status_code == 503
    assert client.get("/v1/objects/keep", headers=AUTH_W).content == b"kept"
    assert client.get("/readyz").status_code == 503


def test_missing_data_directory_is_503_not_404(
    client: TestClient, store_root: Path, make_settings: Callable[..., Settings]
) -> None:
    assert client.put("/v1/objects/a/b", content=b"x", headers=AUTH_W).status_code == 201
    shutil.rmtree(store_root)
    for method in ("GET", "HEAD", "PUT", "DELETE"):
        response = client.request(method, "/v1/objects/a/b", content=b"x", headers=AUTH_W)
        assert response.status_code == 503, (method, response.text)
    assert client.get("/v1/objects", headers=AUTH_W).status_code == 503
    response = client.get("/readyz")
    assert response.status_code == 503


@pytest.mark.parametrize(("remove", "named"), [("tmp", "tmp"), (".lock", "lock file")])
def test_readiness_fails_while_the_temp_directory_or_the_lock_is_gone(
    store_root: Path, make_settings: Callable[..., Settings], remove: str, named: str
) -> None:
    """Uploads need both: /readyz says which one is missing rather than letting PUTs fail."""
    with TestClient(create_app(make_settings(readiness_cache_seconds=0))) as client:
        assert client.get("/readyz").status_code == 200
        victim = store_root / remove
        if victim.is_dir():
            shutil.rmtree(victim)
        else:
            victim.unlink()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["code"] == "not_ready"
        assert named in response.json()["detail"]


def test_store_on_a_read_only_mount_starts_and_reports_unready(
    tmp_path: Path, small_fs: Path
) -> None:
    LocalStore(small_fs / "store", blocking=Blocking(2), presign_secret=b"k" * 32)
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    store = LocalStore(small_fs / "store", blocking=Blocking(2), presign_secret=b"k" * 32)
    with pytest.raises(BackendUnavailable):
        anyio.run(store.check)
