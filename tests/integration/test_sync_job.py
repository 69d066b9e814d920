"""`python -m service sync` as a user runs it: plain directories, the service's own store,
buckets on moto and fake-gcs-server; what it prints, what it refuses, what it never touches."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from fcntl import ioctl
from pathlib import Path
from typing import Any

import pytest

from service.jobs.sync import Shard
from tests.fixtures.service import REPO
from tests.integration.sync_helpers import (
    MIB,
    S3_PART,
    USER_CACHE,
    cli_env,
    gcs_bucket,
    read_only_s3,
    run_sync,
    s3_bucket,
    snapshot,
)
from tests.reliability.delay_proxy import DelayProxy


def tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


FILES = {
    "index.html": b"<p>hi</p>",
    "css/site.css": b"p{}",
    "img/logo.png": os.urandom(3000),
    "a-b/c": b"1",  # '-' sorts before '/': listing order is byte order of the keys
    "a/b": b"2",
    "café/résumé.pdf": b"%PDF-1.7",  # keys appear unescaped in the JSON events
}


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_directory_to_store_and_back_keeps_bytes_and_types(tmp_path: Path) -> None:
    source = tree(tmp_path / "photos", FILES)
    before = snapshot(source)
    first = run_sync(str(source), f"file://{tmp_path / 'store'}")
    assert first.returncode == 0, first.stderr
    lines = events(first.stdout)
    assert sorted(e["key"] for e in lines[:-1]) == sorted(FILES)
    assert '"key": "café/résumé.pdf"' in first.stdout or '"key":"café/résumé.pdf"' in first.stdout
    assert {e["action"] for e in lines[:-1]} == {"copy"}
    assert all(e["time"].endswith("Z") and "T" in e["time"] for e in lines)
    assert lines[-1]["summary"] is True
    assert lines[-1]["copied"] == len(FILES)
    assert lines[-1]["dry_run"] is False

    out = tmp_path / "out"
    back = run_sync(f"file://{tmp_path / 'store'}", "./" + os.path.relpath(out, REPO))
    assert back.returncode == 0, back.stderr
    assert {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()} == FILES
    recorded = json.loads(os.getxattr(out / "css" / "site.css", "user.bucketport"))
    assert recorded["content_type"] == "text/css"

    again = run_sync(str(source), f"file://{tmp_path / 'store'}")
    assert {e.get("action") for e in events(again.stdout)[:-1]} == {"skip"}
    assert snapshot(source) == before  # a source is never written


def test_a_store_source_is_never_touched(tmp_path: Path) -> None:
    assert run_sync(str(tree(tmp_path / "d", FILES)), f"file://{tmp_path / 's'}").returncode == 0
    before = snapshot(tmp_path / "s")
    assert run_sync(f"file://{tmp_path / 's'}", str(tmp_path / "o")).returncode == 0
    assert snapshot(tmp_path / "s") == before


def test_dry_run_writes_nothing_anywhere(tmp_path: Path) -> None:
    source = tree(tmp_path / "src", FILES)
    env = os.environ | {"XDG_CACHE_HOME": str(tmp_path / "cache")}  # no digest cache either
    for dest in (str(tmp_path / "new-dir"), f"file://{tmp_path / 'new-store'}"):
        # run from tmp_path: nothing appears in the working directory either
        result = run_sync(str(source), dest, "--dry-run", "--delete", cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        lines = events(result.stdout)
        assert {e["action"] for e in lines[:-1]} == {"would copy"}
        assert all(e["dry_run"] is True for e in lines)
        assert lines[-1]["would_copy"] == len(FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]

    existing = tree(tmp_path / "existing", {"index.html": b"old", "extra": b"x"})
    before = snapshot(existing)
    result = run_sync(str(source), str(existing), "--dry-run", "--delete")
    actions = {e["key"]: e["action"] for e in events(result.stdout)[:-1]}
    assert actions["extra"] == "would delete"
    assert actions["index.html"] == "would copy"
    assert snapshot(existing) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["{tmp}/missing", "{tmp}/out"], "SOURCE {tmp}/missing: no such directory"),
        (["file://{tmp}/plain", "{tmp}/out"], "SOURCE file://{tmp}/plain: not a bucketport store"),
        (["{tmp}/plain", "file://{tmp}/plain"], "DEST file://{tmp}/plain: not a bucketport store"),
        (["{tmp}/plain", "ftp://host/x"], "DEST ftp://host/x: 'ftp://host/x': the scheme must"),
        (["{tmp}/plain", "{tmp}/plain/f"], "DEST {tmp}/plain/f: not a directory"),
    ],
)
def test_unusable_endpoints_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], words: str
) -> None:
    tree(tmp_path / "plain", {"f": b"1"})
    before = snapshot(tmp_path)
    result = run_sync(*(arg.format(tmp=tmp_path) for arg in args))
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"bucketport sync: {words.format(tmp=tmp_path)}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert snapshot(tmp_path) == before  # nothing created, nothing written


def test_cloud_problems_name_the_argument(
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str
) -> None:
    env = cli_env(moto_endpoint, gcs_endpoint)
    source = str(tree(tmp_path / "src", FILES))
    missing = run_sync(source, "s3://no-such-bucket/x", env=env)
    assert missing.returncode == 2
    assert missing.stderr.startswith("bucketport sync: DEST s3://no-such-bucket/x: ")
    assert "does not exist" in missing.stderr

    gone = run_sync("gs://no-such-bucket", source, env=env)
    assert gone.returncode == 2
    assert gone.stderr.startswith("bucketport sync: SOURCE gs://no-such-bucket: ")

    bucket = s3_bucket(moto_endpoint)
    anonymous = {k: v for k, v in env.items() if not k.startswith("AWS_")} | {
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    no_keys = run_sync(f"s3://{bucket}", str(tmp_path / "o"), env=anonymous)
    assert no_keys.returncode == 2
    assert no_keys.stderr.startswith(f"bucketport sync: SOURCE s3://{bucket}: No usable AWS")
    assert "BUCKETPORT_" not in no_keys.stderr


def test_a_destination_that_refuses_writes_is_one_line_before_any_copy(
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str
) -> None:
    """Credentials that may read the bucket but not write: a real run stops before copying
    with one line naming DEST; a dry run (which writes nothing) and a read from it go ahead."""
    source = str(tree(tmp_path / "src", FILES))
    with read_only_s3(tmp_path) as (url, bucket, keys):
        env = cli_env(url, gcs_endpoint) | keys
        refused = run_sync(source, f"s3://{bucket}/p", env=env)
        assert refused.returncode == 2, refused.stderr
        line = f"bucketport sync: DEST s3://{bucket}/p: S3 refused the request (AccessDenied)"
        assert refused.stderr.startswith(line)
        assert len(refused.stderr.strip().splitlines()) == 1
        assert refused.stdout == ""  # no object was tried

        dry = run_sync(source, f"s3://{bucket}/p", "--dry-run", env=env)
        assert dry.returncode == 0, dry.stderr
        assert events(dry.stdout)[-1]["would_copy"] == len(FILES)

        read = run_sync(f"s3://{bucket}/p", str(tmp_path / "out"), env=env)
        assert read.returncode == 0, read.stderr


def test_failed_objects_exit_1_and_the_rest_is_copied(tmp_path: Path) -> None:
    source = tree(tmp_path / "src", {"good": b"1", "bad\\name": b"2"})
    result = run_sync(str(source), f"file://{tmp_path / 'store'}")
    assert result.returncode == 1
    outcome = {e["key"]: e["action"] for e in events(result.stdout)[:-1]}
    assert outcome == {"good": "copy", "bad\\name": "fail"}
    assert result.stderr.startswith("sync: bad\\name: ")
    assert events(result.stdout)[-1]["failed"] == 1


@pytest.mark.parametrize("kind", ["s3", "gs"])
def test_shards_partition_the_keys_exactly(
    tmp_path: Path, kind: str, moto_endpoint: str, gcs_endpoint: str
) -> None:
    """N shard processes, as an Indexed Job runs them: every key copied once, none missed."""
    files = {f"k/{i:03}": str(i).encode() for i in range(60)}
    source = tree(tmp_path / "src", files)
    bucket = s3_bucket(moto_endpoint) if kind == "s3" else gcs_bucket(gcs_endpoint)
    env = cli_env(moto_endpoint, gcs_endpoint)
    count = 3
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service",
                "sync",
                str(source),
                f"{kind}://{bucket}/p",
                "--shard",
                f"{index}/{count}",
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for index in range(count)
    ]
    copied: list[list[str]] = []
    for run in runs:
        out, _ = run.communicate(timeout=120)
        assert run.returncode == 0
        copied.append([str(e["key"]) for e in events(out)[:-1] if e["action"] == "copy"])
    union = [key for keys in copied for key in keys]
    assert sorted(union) == sorted(files)  # no key twice, none missed
    assert all(copied)  # each shard had work
    back = run_sync(f"{kind}://{bucket}/p", str(tmp_path / "back"), env=env)
    assert back.returncode == 0
    assert {f"k/{p.name}": p.read_bytes() for p in (tmp_path / "back" / "k").iterdir()} == files


@pytest.mark.parametrize("text", ["3/3", "-1/2", "x/2", "1"])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (int() and our own check both raise it)
        Shard.parse(text)


def on_terminal(*args: str, env: dict[str, str] | None = None) -> str:
    """Everything `sync ARGS` shows on a pseudo-terminal (120 columns), once it exited 0."""
    leader, follower = pty.openpty()
    ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "sync", *args],
        cwd=REPO,
        env=env or os.environ | {"XDG_CACHE_HOME": str(USER_CACHE)},
        stdin=follower,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    output = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        try:
            chunk = os.read(leader, 65536) if ready else b""
        except OSError:  # the child closed the terminal
            chunk = b""
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(60) == 0, output.decode()
    return output.decode()


def bar_lines(text: str) -> list[str]:
    """Each state the bar was drawn in (tqdm redraws the line after a carriage return)."""
    return [line for line in text.replace("\r", "\n").splitlines() if " objects | " in line]


def test_progress_on_a_terminal(tmp_path: Path) -> None:
    """Objects done/total, bytes done/total, percent, rate and ETA, then a plain summary."""
    source = tree(tmp_path / "src", FILES | {"big": os.urandom(8 * 1024 * 1024)})
    text = on_terminal(str(source), str(tmp_path / "out"))
    last_bar = bar_lines(text)[-1]
    assert f"sync {len(FILES) + 1}/{len(FILES) + 1} objects" in last_bar
    assert "100%" in last_bar
    assert "/s" in last_bar
    assert "ETA" in last_bar
    assert "MB/8.0" in last_bar  # bytes done of the total
    assert f"copied {len(FILES) + 1} (" in text
    assert "{" not in text  # no JSON events on a terminal


def test_progress_moves_during_a_large_object(tmp_path: Path, moto_endpoint: str) -> None:
    """One 4-part upload to S3, each part answered 0.3 s late: the bar shows bytes done
    growing while the object is still 0/1 done, not only when it completes."""
    size = 3 * S3_PART + MIB
    source = tree(tmp_path / "src", {"big.bin": os.urandom(size)})
    bucket = s3_bucket(moto_endpoint)
    with DelayProxy(int(moto_endpoint.rsplit(":", 1)[1])) as slow:
        slow.delay = 0.3
        env = cli_env(slow.url, moto_endpoint) | {
            "BUCKETPORT_S3_PART_SIZE": str(S3_PART),
            "BUCKETPORT_S3_PARTS_IN_FLIGHT": "1",
        }
        text = on_terminal(str(source), f"s3://{bucket}/p", env=env)
    during = {
        match.group(1)
        for line in bar_lines(text)
        if (match := re.search(r"sync 0/1 objects \| ([0-9.]+[kMG]?)B/16\.0MB", line))
    }
    during -= {"0.00", "16.0M"}  # neither nothing nor all of it
    assert len(during) >= 2, text  # moved at least twice while the object was 0/1 done
    assert "sync 1/1 objects | 16.0MB/16.0MB | 100%" in bar_lines(text)[-1]
