"""Many slow downloads at once, each read at a fixed rate from a raw socket.

Run as its own process (`python -m bench.slow_clients ...`) so that its work does not slow the
health probes the benchmark times meanwhile. Prints one JSON line: completed, errors, seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import resource
import socket
import time

READ_EVERY = 0.1  # seconds between reads: ~rate/10 bytes per read
RECEIVE_BUFFER = 16 * 1024  # small, so the server feels the slow reader


async def one_download(host: str, port: int, request: bytes, rate: int, digest: str) -> None:
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, (host, port))
        await loop.sock_sendall(sock, request)
        data = bytearray()
        body = hashlib.sha256()
        head: bytes | None = None
        length = received = 0
        start = time.monotonic()
        while head is None or received < length:
            allowed = int(rate * (time.monotonic() - start + READ_EVERY)) - received
            if head is not None and allowed <= 0:
                await asyncio.sleep(READ_EVERY)
                continue
            chunk = await loop.sock_recv(sock, max(allowed, 4096) if head else 65536)
            if not chunk:
                raise ConnectionError(f"closed after {received} of {length} body bytes")
            if head is None:
                data += chunk
                if b"\r\n\r\n" not in data:
                    continue
                head, rest = bytes(data).split(b"\r\n\r\n", 1)
                if not head.startswith(b"HTTP/1.1 200 "):
                    raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                chunk = rest
            body.update(chunk)
            received += len(chunk)
        if body.hexdigest() != digest:
            raise ConnectionError("the body differs from the object")
    finally:
        sock.close()


async def main(args: argparse.Namespace) -> dict[str, object]:
    host, port = args.host, args.port
    request = (
        f"GET {args.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {args.token}\r\nConnection: close\r\n\r\n"
    ).encode()
    start = time.monotonic()
    tasks = []
    for _ in range(args.clients):
        tasks.append(asyncio.create_task(one_download(host, port, request, args.rate, args.sha)))
        await asyncio.sleep(args.ramp / args.clients)  # spread the connects over the ramp
    results = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    return {
        "completed": len(results) - len(errors),
        "errors": len(errors),
        "first_errors": errors[:5],
        "seconds": time.monotonic() - start,
    }


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--sha", required=True, help="hex SHA-256 of the object")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=100 * 1024, help="bytes per second each")
    parser.add_argument("--ramp", type=float, default=1.0, help="seconds to open all clients")
    return parser.parse_args()


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(json.dumps(asyncio.run(main(parse()))))
