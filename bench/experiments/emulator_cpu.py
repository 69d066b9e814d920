"""CPU seconds the emulator spends per 64 MiB upload, by how the upload is cut.

CPU time, unlike wall time, barely moves when other jobs load the machine, so it shows which
side (service or emulator) a transfer ratio is bound by: the service cannot beat the SDK when
its way of uploading (parts, chunks, a copy afterwards) costs the emulator more CPU than the
SDK's single request does.
"""

from __future__ import annotations

import base64
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from bench.experiments import cpu_seconds
from tests.fixtures.emulators import Emulator

MIB = 1024 * 1024
SIZE = 64 * MIB
BUCKET = "bench-experiment"


def measure(emulator: Emulator, cases: dict[str, Callable[[], object]], rounds: int) -> None:
    process = psutil.Process(emulator.process.pid)  # type: ignore[union-attr]
    seen: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, run in cases.items():
            before = cpu_seconds(process)
            run()
            seen[name].append(cpu_seconds(process) - before)
    for name, values in seen.items():
        print(f"{emulator.kind} {name}: {statistics.median(values):.2f} s emulator CPU per 64 MiB")


def s3_cases(url: str, data: bytes) -> dict[str, Callable[[], object]]:
    from bench.suite import s3_client

    client = s3_client(url)
    part = 8 * MIB

    def multipart() -> None:
        upload = client.create_multipart_upload(Bucket=BUCKET, Key="m")["UploadId"]
        parts: list[Any] = [
            {
                "PartNumber": n + 1,
                "ETag": client.upload_part(
                    Bucket=BUCKET,
                    Key="m",
                    UploadId=upload,
                    PartNumber=n + 1,
                    Body=data[n * part : (n + 1) * part],
                )["ETag"],
            }
            for n in range(len(data) // part)
        ]
        client.complete_multipart_upload(
            Bucket=BUCKET, Key="m", UploadId=upload, MultipartUpload={"Parts": parts}
        )

    def copy_onto_itself() -> None:  # what recording the SHA-256 of a multipart object costs
        client.copy_object(
            Bucket=BUCKET,
            Key="m",
            CopySource={"Bucket": BUCKET, "Key": "m"},
            MetadataDirective="REPLACE",
            ChecksumAlgorithm="SHA256",
            Metadata={"bucketport-sha256": base64.b64encode(os.urandom(32)).decode()},
        )

    return {
        "put_object (the SDK baseline)": lambda: client.put_object(
            Bucket=BUCKET, Key="p", Body=data
        ),
        "multipart, 8 MiB parts": multipart,
        "copy_object onto itself": copy_onto_itself,
    }


def gcs_cases(url: str, source: Path) -> dict[str, Callable[[], object]]:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(
        project="bench",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": url},
    )

    def upload(chunk_mib: int | None) -> Callable[[], object]:
        def run() -> None:
            blob = client.bucket(BUCKET).blob(f"o{chunk_mib}")
            if chunk_mib:
                blob.chunk_size = chunk_mib * MIB
            blob.upload_from_filename(str(source), checksum=None)

        return run

    return {
        "one request (the SDK baseline)": upload(None),
        "resumable, 8 MiB chunks": upload(8),
        "resumable, 16 MiB chunks": upload(16),
        "resumable, 32 MiB chunks": upload(32),
    }


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory(prefix="bucketport-experiment-") as tmp:
        work = Path(tmp)
        data = os.urandom(MIB) * (SIZE // MIB)
        source = work / "data.bin"
        source.write_bytes(data)
        for kind in ("s3", "gcs"):
            emulator = Emulator(kind, work).start()
            try:
                emulator.create_bucket(BUCKET)
                cases = (
                    s3_cases(emulator.url, data)
                    if kind == "s3"
                    else gcs_cases(emulator.url, source)
                )
                start = time.monotonic()
                measure(emulator, cases, rounds)
                print(f"({kind}: {time.monotonic() - start:.0f} s)", file=sys.stderr)
            finally:
                emulator.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
